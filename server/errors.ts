/** What went wrong, in terms a caller can act on; the API maps each kind to one HTTP/tRPC status. */
export type DomainErrorKind = "not_found" | "conflict" | "forbidden" | "invalid" | "unavailable";

/** An expected failure of a service, with a message fit to show the user as it is. */
export class DomainError extends Error {
  constructor(
    message: string,
    readonly kind: DomainErrorKind,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "DomainError";
  }
}
