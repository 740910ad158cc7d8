// Retry or DLQ by the error's type: subclasses behave like their base, whatever name they give
// themselves; the step's dlqOn/retryOn names match subclasses too.
import { describe, expect, it } from 'vitest';
import { NonRetryableError, RetryableError } from '../../../src/runtime/api.ts';
import { classify, lineage } from '../../../src/retry/classify.ts';

const none = { retryOn: [], dlqOn: [] };

class OrderRejected extends NonRetryableError {
  override name = 'OrderRejected';
}
class LookupTimedOut extends RetryableError {
  override name = 'LookupTimedOut';
}
class ValidationError extends Error {
  override name = 'ValidationError';
}
class MissingItems extends ValidationError {
  override name = 'MissingItems';
}

describe('classify', () => {
  it('a subclass of NonRetryableError with its own name goes to the DLQ, under its own class name', () => {
    expect(classify(new OrderRejected('no'), none)).toMatchObject({ disposition: 'dlq', errorClass: 'OrderRejected' });
  });

  it('a subclass of RetryableError retries even when the step retries only named errors', () => {
    expect(classify(new LookupTimedOut('slow'), { retryOn: ['SomethingElse'], dlqOn: [] })).toMatchObject({
      disposition: 'retry',
      errorClass: 'LookupTimedOut',
    });
  });

  it("a subclass of a class named in the step's dlqOn goes to the DLQ", () => {
    expect(classify(new MissingItems('empty'), { retryOn: [], dlqOn: ['ValidationError'] })).toMatchObject({
      disposition: 'dlq',
      errorClass: 'MissingItems',
    });
    expect(classify(new MissingItems('empty'), none).disposition).toBe('retry');
  });

  it('an error from another copy of the API classes is recognised by its lineage', () => {
    class NonRetryableCopy extends Error {}
    Object.defineProperty(NonRetryableCopy, 'name', { value: 'NonRetryableError' });
    class Theirs extends NonRetryableCopy {
      override name = 'Theirs';
    }
    expect(lineage(new Theirs('x'))).toEqual(['Theirs', 'NonRetryableError', 'Error']);
    expect(classify(new Theirs('x'), none).disposition).toBe('dlq');
  });

  it('HTTP status decides for errors that carry one; plain errors retry by default', () => {
    expect(classify(Object.assign(new Error('x'), { status: 503 }), none).disposition).toBe('retry');
    expect(classify(Object.assign(new Error('x'), { status: 404 }), none).disposition).toBe('dlq');
    expect(classify(new Error('x'), none).disposition).toBe('retry');
    expect(classify(new Error('x'), { retryOn: ['TimeoutError'], dlqOn: [] }).disposition).toBe('dlq');
  });
});
