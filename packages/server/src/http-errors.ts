import { errors, type EndReason, type ErrorCode } from '@tandem/protocol';

/** What an error may say beyond its code and sentence (declared in the protocol's ErrorBody). */
export interface ErrorExtra {
  /** With TDM_SESSION_ENDED: how the session ended, when the store knows. */
  endReason?: EndReason;
  /** With a watch link's errors: where the integrator offers to try again (branding.retry_url). */
  retryUrl?: string;
}

/** An error answered to the client as `{ code, message }` with the code's status. */
export class TandemError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: ErrorCode,
    detail?: string,
    readonly extra: ErrorExtra = {},
  ) {
    super(detail ? `${errors[code].message} ${detail}` : errors[code].message);
    this.statusCode = errors[code].status;
  }
}

export const fail = (code: ErrorCode, detail?: string, extra?: ErrorExtra): never => {
  throw new TandemError(code, detail, extra);
};
