// The redaction layer every output channel passes: registered secret values (also URL-encoded), URL
// passwords and secret query values in any text; ordinary text and parameters stay as they are.
import { describe, expect, it } from 'vitest';
import { redactText, registerSecrets, secretsOfSettings } from '../../../src/config/redact.ts';

describe('redactText', () => {
  it('masks registered values wherever they appear, also URL-encoded', () => {
    registerSecrets(['pl4nted/s3cret', undefined, '']);
    expect(redactText('auth failed for pl4nted/s3cret')).toBe('auth failed for ***');
    expect(redactText('GET /x?v=pl4nted%2Fs3cret')).toBe('GET /x?v=***');
  });

  it('masks URL passwords and secret query values in free text, keeping the rest', () => {
    expect(redactText('connect redis://:pw-1234@host:6379 failed')).toBe('connect redis://:***@host:6379 failed');
    expect(redactText('POST https://u:p@x.example/h?api_key=k-1&region=eu&sig=abc&token=t')).toBe(
      'POST https://u:***@x.example/h?api_key=***&region=eu&sig=***&token=***',
    );
    expect(redactText('{"url":"http://x/h?key=abcd&page=2"}')).toBe('{"url":"http://x/h?key=***&page=2"}');
  });

  it('finds the secrets among settings: secret settings whole, URL passwords and secret query values', () => {
    const found = secretsOfSettings(
      {
        DATABASE_URL: 'postgres://weir:db%40pw@127.0.0.1/db?sslpassword=ssl-pw',
        REDIS_URL: 'redis://:redis-pw@127.0.0.1:6379',
        KAFKA_SASL_PASSWORD: 'sasl-pw',
        KAFKA_BOOTSTRAP_SERVERS: '127.0.0.1:9092',
      },
      (k) => k.endsWith('PASSWORD'),
    );
    expect(found.sort()).toEqual(['db@pw', 'redis-pw', 'sasl-pw', 'ssl-pw']);
  });
});
