/**
 * Keystrokes for the graphical console, as X11 keysyms with the physical key (`KeyboardEvent.code`)
 * beside them: QEMU accepts noVNC's extended key events, which carry the key's scancode, so what the
 * guest receives does not depend on QEMU's keymap. Typed text assumes the guest's keyboard layout is
 * US English (the default of installers and cloud images): a character is the key that makes it there,
 * with Shift when needed. Client-safe: no imports.
 */
export interface Key {
  keysym: number;
  code: string;
}

export const KEY = {
  ctrl: { keysym: 0xffe3, code: "ControlLeft" },
  alt: { keysym: 0xffe9, code: "AltLeft" },
  shift: { keysym: 0xffe1, code: "ShiftLeft" },
  super: { keysym: 0xffeb, code: "MetaLeft" },
  delete: { keysym: 0xffff, code: "Delete" },
  backspace: { keysym: 0xff08, code: "Backspace" },
  tab: { keysym: 0xff09, code: "Tab" },
  escape: { keysym: 0xff1b, code: "Escape" },
  enter: { keysym: 0xff0d, code: "Enter" },
  printScreen: { keysym: 0xff61, code: "PrintScreen" },
} as const satisfies Record<string, Key>;

export function functionKey(n: number): Key {
  return { keysym: 0xffbe + n - 1, code: `F${n}` };
}

/** A combination's name in the catalog (vmConsole.combos); `n` is the function key's number for ctrlAltF. */
export type ComboName = "ctrlAltDel" | "ctrlAltF" | "ctrlAltBackspace" | "altTab" | "altF4" | "super" | "printScreen" | "escape" | "tab";

/** The combinations a sysadmin needs that a browser (or a phone) cannot send itself. */
export const KEY_COMBOS: readonly { name: ComboName; n?: number; keys: readonly Key[] }[] = [
  { name: "ctrlAltDel", keys: [KEY.ctrl, KEY.alt, KEY.delete] },
  ...[1, 2, 3, 4, 5, 6, 7].map((n) => ({ name: "ctrlAltF" as const, n, keys: [KEY.ctrl, KEY.alt, functionKey(n)] })),
  { name: "ctrlAltBackspace", keys: [KEY.ctrl, KEY.alt, KEY.backspace] },
  { name: "altTab", keys: [KEY.alt, KEY.tab] },
  { name: "altF4", keys: [KEY.alt, functionKey(4)] },
  { name: "super", keys: [KEY.super] },
  { name: "printScreen", keys: [KEY.printScreen] },
  { name: "escape", keys: [KEY.escape] },
  { name: "tab", keys: [KEY.tab] },
];

/** One key press or release, in the order they are sent. */
export interface KeyStroke {
  key: Key;
  down: boolean;
}

/** Presses the keys in order and releases them in reverse, as fingers would. */
export function chord(keys: readonly Key[]): KeyStroke[] {
  return [...keys.map((key) => ({ key, down: true })), ...[...keys].reverse().map((key) => ({ key, down: false }))];
}

const UNSHIFTED: Record<string, string> = {
  "`": "Backquote",
  "-": "Minus",
  "=": "Equal",
  "[": "BracketLeft",
  "]": "BracketRight",
  "\\": "Backslash",
  ";": "Semicolon",
  "'": "Quote",
  ",": "Comma",
  ".": "Period",
  "/": "Slash",
  " ": "Space",
};
const SHIFTED: Record<string, string> = {
  "~": "Backquote",
  "!": "Digit1",
  "@": "Digit2",
  "#": "Digit3",
  $: "Digit4",
  "%": "Digit5",
  "^": "Digit6",
  "&": "Digit7",
  "*": "Digit8",
  "(": "Digit9",
  ")": "Digit0",
  _: "Minus",
  "+": "Equal",
  "{": "BracketLeft",
  "}": "BracketRight",
  "|": "Backslash",
  ":": "Semicolon",
  '"': "Quote",
  "<": "Comma",
  ">": "Period",
  "?": "Slash",
};

/** The key (and whether Shift is held) that types a character on a US keyboard; null for characters it has no key for. */
export function keyForChar(char: string): { key: Key; shift: boolean } | null {
  if (char === "\n" || char === "\r") return { key: KEY.enter, shift: false };
  if (char === "\t") return { key: KEY.tab, shift: false };
  const keysym = char.charCodeAt(0);
  if (char.length !== 1 || keysym < 0x20 || keysym > 0x7e) return null;
  if (/[a-z]/.test(char)) return { key: { keysym, code: `Key${char.toUpperCase()}` }, shift: false };
  if (/[A-Z]/.test(char)) return { key: { keysym, code: `Key${char}` }, shift: true };
  if (/[0-9]/.test(char)) return { key: { keysym, code: `Digit${char}` }, shift: false };
  if (UNSHIFTED[char]) return { key: { keysym, code: UNSHIFTED[char] }, shift: false };
  if (SHIFTED[char]) return { key: { keysym, code: SHIFTED[char] }, shift: true };
  return null;
}

/** The strokes that type `text`, and the characters that have no key on a US keyboard (not typed). */
export function typeText(text: string): { strokes: KeyStroke[]; skipped: string[] } {
  const strokes: KeyStroke[] = [];
  const skipped: string[] = [];
  for (const char of text.replace(/\r\n/g, "\n")) {
    const found = keyForChar(char);
    if (!found) {
      skipped.push(char);
      continue;
    }
    strokes.push(...chord(found.shift ? [KEY.shift, found.key] : [found.key]));
  }
  return { strokes, skipped };
}
