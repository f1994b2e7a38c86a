import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { z } from "zod";
import { base64Length, decodeBase64 } from "./base64";

const strict = z.base64();

/** Every string of up to `max` characters over `alphabet`. */
function* strings(alphabet: string, max: number): Generator<string> {
  let level = [""];
  yield "";
  for (let length = 1; length <= max; length++) {
    const next: string[] = [];
    for (const prefix of level) for (const char of alphabet) next.push(prefix + char);
    yield* next;
    level = next;
  }
}

describe("decodeBase64", () => {
  it("agrees with z.base64() on every short string over letters, digits, padding and near-misses", () => {
    let checked = 0;
    for (const text of strings("AQw9+/=-_ ", 5)) {
      assert.equal(decodeBase64(text) !== null, strict.safeParse(text).success, JSON.stringify(text));
      checked++;
    }
    for (const text of strings("Qg=.\n", 8)) {
      assert.equal(decodeBase64(text) !== null, strict.safeParse(text).success, JSON.stringify(text));
      checked++;
    }
    assert.equal(checked, 111_111 + 488_281);
  });

  it("returns the bytes of valid text of any length", () => {
    for (const size of [0, 1, 2, 3, 4, 5, 1000, 65537]) {
      const bytes = randomBytes(size);
      const text = bytes.toString("base64");
      assert.equal(text.length, base64Length(size));
      assert.deepEqual(decodeBase64(text), bytes);
    }
  });

  it("refuses a misplaced character deep inside a long text", () => {
    const text = randomBytes(3 * 100_000).toString("base64");
    for (const bad of [" ", "\n", "=", "-", "_", ".", "é"]) {
      const middle = text.length / 2;
      assert.equal(decodeBase64(text.slice(0, middle) + bad + text.slice(middle + 1)), null, JSON.stringify(bad));
    }
  });
});
