// The HTTP receiver of the test driver: every request the HTTP sink sends is recorded, and answered
// from a script (2xx, 429 with Retry-After, 5xx, 4xx…), then 200 once the script is used up. The
// sink's own code decides what each answer means (retry, DLQ), as in production.
export interface ScriptedResponse {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

export interface HttpDelivery {
  /** The HTTP sink step that sent it. */
  step: string;
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
  /** The status it was answered with. */
  status: number;
}

export class ScriptedHttp {
  readonly deliveries: HttpDelivery[] = [];
  private readonly script: ScriptedResponse[] = [];

  /** The next requests are answered with these, in order; then 200. */
  respond(...responses: ScriptedResponse[]): this {
    this.script.push(...responses);
    return this;
  }

  /** A fetch for one HTTP sink step: nothing leaves the process. */
  fetchFor(step: string): typeof fetch {
    return async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const answer = this.script.shift() ?? { status: 200 };
      const headers = Object.fromEntries(
        Object.entries((init?.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]),
      );
      const text = typeof init?.body === 'string' ? init.body : '';
      this.deliveries.push({
        step,
        url: String(input),
        method: init?.method ?? 'GET',
        headers,
        body: text ? JSON.parse(text) : undefined,
        status: answer.status,
      });
      return new Response(answer.body ?? null, { status: answer.status, headers: answer.headers ?? {} });
    };
  }

  /** Requests answered with a 2xx. */
  get delivered(): HttpDelivery[] {
    return this.deliveries.filter((d) => d.status >= 200 && d.status < 300);
  }
}
