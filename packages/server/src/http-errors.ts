import { errors, type ErrorCode } from '@tandem/protocol';

/** An error answered to the client as `{ code, message }` with the code's status. */
export class TandemError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: ErrorCode,
    detail?: string,
  ) {
    super(detail ? `${errors[code].message} ${detail}` : errors[code].message);
    this.statusCode = errors[code].status;
  }
}

export const fail = (code: ErrorCode, detail?: string): never => {
  throw new TandemError(code, detail);
};
