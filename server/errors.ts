import { brandSymbol, hasBrand } from "./brand";

/** What went wrong, in terms a caller can act on; the API maps each kind to one HTTP/tRPC status. */
export type DomainErrorKind = "not_found" | "conflict" | "forbidden" | "invalid" | "unavailable";

const DOMAIN_ERROR = brandSymbol("DomainError");

/** An expected failure of a service, with a message fit to show the user as it is. */
export class DomainError extends Error {
  readonly [DOMAIN_ERROR] = true;

  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, DOMAIN_ERROR);
  }

  constructor(
    message: string,
    readonly kind: DomainErrorKind,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "DomainError";
  }
}
