// Postgres and Redis answer with real round trips, not just an open port.
import pg from 'pg';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { services, uniqueName } from '../helpers/services.ts';

describe('postgres and redis', () => {
  it('postgres runs a transaction', async () => {
    const client = new pg.Client({ connectionString: services().DATABASE_URL });
    await client.connect();
    try {
      const table = uniqueName('t').replace(/-/g, '_');
      await client.query('BEGIN');
      await client.query(`CREATE TABLE ${table} (id int primary key)`);
      await client.query(`INSERT INTO ${table} VALUES (1), (2)`);
      const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
      await client.query('ROLLBACK');
      expect(rows[0]!.n).toBe('2');
    } finally {
      await client.end();
    }
  });

  it('redis answers PING and round-trips a value', async () => {
    const redis = new Redis(services().REDIS_URL);
    try {
      const key = uniqueName('weir-test');
      expect(await redis.ping()).toBe('PONG');
      await redis.set(key, 'v', 'EX', 60);
      expect(await redis.get(key)).toBe('v');
      await redis.del(key);
    } finally {
      redis.disconnect();
    }
  });
});
