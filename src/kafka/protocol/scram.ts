// SCRAM-SHA-256/512 client (RFC 5802 / 7677), for SASL on the protocol connection.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

const saslName = (s: string) => s.replace(/=/g, '=3D').replace(/,/g, '=2C');

export class ScramClient {
  private readonly hash: 'sha256' | 'sha512';
  private readonly nonce = randomBytes(18).toString('base64');
  private firstBare = '';
  private serverSignature: Buffer | undefined;

  constructor(
    mechanism: ScramMechanism,
    private readonly user: string,
    private readonly password: string,
  ) {
    this.hash = mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512';
  }

  first(): Buffer {
    this.firstBare = `n=${saslName(this.user)},r=${this.nonce}`;
    return Buffer.from(`n,,${this.firstBare}`);
  }

  final(serverFirst: Buffer): Buffer {
    const text = serverFirst.toString();
    const attrs = Object.fromEntries(text.split(',').map((kv) => [kv[0], kv.slice(2)]));
    if (!attrs.r?.startsWith(this.nonce)) throw new Error('SCRAM: server nonce does not extend ours');
    const salted = pbkdf2Sync(this.password, Buffer.from(attrs.s!, 'base64'), Number(attrs.i), this.hash === 'sha256' ? 32 : 64, this.hash);
    const clientKey = createHmac(this.hash, salted).update('Client Key').digest();
    const storedKey = createHash(this.hash).update(clientKey).digest();
    const finalBare = `c=biws,r=${attrs.r}`;
    const authMessage = `${this.firstBare},${text},${finalBare}`;
    const signature = createHmac(this.hash, storedKey).update(authMessage).digest();
    const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!));
    const serverKey = createHmac(this.hash, salted).update('Server Key').digest();
    this.serverSignature = createHmac(this.hash, serverKey).update(authMessage).digest();
    return Buffer.from(`${finalBare},p=${proof.toString('base64')}`);
  }

  verify(serverFinal: Buffer): void {
    const v = /v=([^,]+)/.exec(serverFinal.toString())?.[1];
    if (!v || !this.serverSignature || !timingSafeEqual(Buffer.from(v, 'base64'), this.serverSignature))
      throw new Error('SCRAM: the server signature does not verify');
  }
}
