// Usage: npx tsx server/libvirt/codegen/main.ts [<protocol-dir> [<out-dir>]]
// <protocol-dir> is what scripts/fetch-libvirt-protocol.sh prints (default:
// its cache dir for the installed libvirt); <out-dir> defaults to generated/.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { generate } from "./generate";
import { defaultProtocolDir, GENERATED_DIR } from "./protocol-dir";

async function main(argv: string[]): Promise<void> {
  const protocolDir = argv[0] ?? defaultProtocolDir();
  const outDir = argv[1] ?? GENERATED_DIR;
  if (!protocolDir) {
    console.error("libvirt0 is not installed: pass the protocol dir (see scripts/fetch-libvirt-protocol.sh)");
    process.exitCode = 2;
    return;
  }
  const files = await generate(protocolDir);
  await mkdir(outDir, { recursive: true });
  for (const [name, text] of files) await writeFile(path.join(outDir, name), text);
  console.log(`wrote ${[...files.keys()].join(", ")} to ${outDir}`);
}

await main(process.argv.slice(2));
