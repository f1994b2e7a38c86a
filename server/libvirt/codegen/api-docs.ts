// Reads what libvirt's API reference says about each function's parameters,
// from the doc comment before every public function in its sources
// (src/libvirt-*.c):
//
//   /**
//    * virDomainReboot:
//    * @domain: a domain object
//    * @flags: bitwise-OR of virDomainRebootFlagValues
//    *
//    * Reboot a domain, ...
//
// Those comments are the only place that says which enum a call's flags come
// from (the .x files give just `unsigned int flags`).

/** Function name → parameter name → its description, whitespace collapsed. */
export type ApiDocs = Map<string, Map<string, string>>;

export function parseApiDocs(sources: { file: string; text: string }[]): ApiDocs {
  const docs: ApiDocs = new Map();
  for (const { text } of sources) {
    for (const m of text.matchAll(/\/\*\*?([\s\S]*?)\*\//g)) {
      const lines = m[1]!.split("\n").map((line) => line.replace(/^\s*\*?\s?/, "").trimEnd());
      const start = lines.findIndex((line) => line !== "");
      const name = /^(vir\w+):$/.exec(lines[start] ?? "")?.[1];
      if (name) docs.set(name, parameters(lines.slice(start + 1)));
    }
  }
  return docs;
}

/** The `@name: text` lines after the function name (a few have a blank line between), up to the next blank line. */
function parameters(lines: string[]): Map<string, string> {
  const params = new Map<string, string>();
  let current: string | null = null;
  for (const line of lines) {
    if (line === "" && current) break;
    const m = /^@(\w+):\s*(.*)$/.exec(line);
    if (m) {
      current = m[1]!;
      params.set(current, m[2]!);
    } else if (current) {
      params.set(current, `${params.get(current)} ${line.trim()}`.trim());
    }
  }
  return params;
}
