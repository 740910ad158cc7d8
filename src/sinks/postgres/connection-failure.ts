// Which Postgres failures are the connection's, not the statement's: worth retrying with backoff
// (the server restarts, a connection was terminated, it accepts no connections yet) as opposed to
// a missing table or a wrong password, which no retry mends.

/** SQLSTATEs of a lost or refused connection: class 08, admin/crash shutdown, cannot connect now, too many connections. */
const CONNECTION_STATES = /^(08...|57P0[123]|53300)$/;
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
// node-postgres reports a vanished server or a pool checkout timeout in words, without a code.
const CLIENT_MESSAGES =
  /Connection terminated|timeout expired|timeout exceeded when trying to connect|Client has encountered a connection error/i;

export function isConnectionFailure(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (CONNECTION_STATES.test(code) || SOCKET_CODES.has(code))) return true;
  return CLIENT_MESSAGES.test(err.message);
}
