/**
 * A status request refused for what it asks, not for how HTTP answers it: routes/status.ts maps
 * each kind to an error of src/http/errors.ts.
 */
export class StatusError extends Error {
  constructor(
    readonly kind: 'invalid' | 'not_found' | 'unavailable',
    message: string,
  ) {
    super(message);
  }
}
