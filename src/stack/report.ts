// What each service command reports back.
export interface ServiceReport {
  name: string;
  endpoint: string;
  /** started: by this run; running: started earlier by this project's stack; external: someone else's. */
  status: 'started' | 'running' | 'external' | 'stopped' | 'killed' | 'untouched' | 'down';
  pid?: number;
  log?: string;
  seconds?: number;
  detail?: string;
}

export const since = (t0: number) => Math.round((Date.now() - t0) / 100) / 10;
