// libvirt's flag arguments, typed by the C enum they come from.
//
// In C every `flags` is an `unsigned int`, and the enums of different calls
// share values (VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN and
// VIR_DOMAIN_REBOOT_ACPI_POWER_BTN are both 1), so a flag handed to the wrong
// call runs and does something else. The generated constants of each flag
// enum carry a brand naming their enum, and each procedure's parameter
// accepts only the enums libvirt documents for it (or just 0 where it takes
// none): the wrong flag does not compile. At run time they are plain numbers.

declare const flagEnum: unique symbol;

/** A value of the C flag enum `E` (or several of its members OR-ed together). */
export type Flags<E extends string> = number & { readonly [flagEnum]: E };

type EnumOf<F> = F extends Flags<infer E> ? E : never;

/**
 * ORs flags together, keeping their enums in the type (`|` would make a plain
 * number). Accepts 0, so optional flags read `flagsOf(A, wanted ? B : 0)`.
 * Mixing enums is allowed; the result is accepted only where every enum is.
 */
export function flagsOf<const T extends readonly (Flags<string> | 0)[]>(...flags: T): Flags<EnumOf<T[number]>> {
  // >>> 0: flags are unsigned 32-bit, and `|` on a bit 31 flag gives a negative number.
  return flags.reduce<number>((all, flag) => (all | flag) >>> 0, 0) as Flags<EnumOf<T[number]>>;
}
