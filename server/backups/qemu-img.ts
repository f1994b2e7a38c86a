import { spawn } from "node:child_process";

/**
 * qemu-img, run by the manager on files it reaches directly (backup targets are directories on
 * this machine): create the files a push backup writes into, copy a shut-off VM's disk or a
 * backup chain out, check an image. Arguments go as a list (no shell); a cancel kills the process.
 */

export interface QemuImgRun {
  /** Hears the percentage qemu-img -p prints, 0..100. */
  onPercent?: (percent: number) => void;
  signal?: AbortSignal;
}

/** Output kept of a failing run, for its error message. */
const OUTPUT_LIMIT = 4000;

export function qemuImg(args: readonly string[], { onPercent, signal }: QemuImgRun = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("qemu-img", args, { stdio: ["ignore", "pipe", "pipe"], signal });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      // -p redraws "(12.34/100%)" with carriage returns.
      if (onPercent) for (const m of chunk.matchAll(/\((\d+(?:\.\d+)?)\/100%\)/g)) onPercent(Number(m[1]));
      stdout = (stdout + chunk).slice(-OUTPUT_LIMIT);
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr = (stderr + chunk).slice(-OUTPUT_LIMIT)));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Runs qemu-img and throws its own words when it fails. */
export async function qemuImgOk(args: readonly string[], options?: QemuImgRun): Promise<string> {
  const { code, stdout, stderr } = await qemuImg(args, options);
  if (code !== 0) throw new Error(`qemu-img ${args[0]} failed: ${(stderr || stdout).trim().split("\n").slice(-3).join(" ")}`);
  return stdout;
}

/** A qcow2 file of the given virtual size, for a push backup begun with REUSE_EXTERNAL to write into. */
export function createQcow2(path: string, virtualBytes: number): Promise<string> {
  return qemuImgOk(["create", "-q", "-f", "qcow2", path, String(virtualBytes)]);
}

/** Copies an image (or a `json:` chain spec) into a standalone file of `format`: sparse, no backing file. */
export function convertImage(source: string, sourceFormat: string | null, dest: string, format: "qcow2" | "raw", options?: QemuImgRun): Promise<string> {
  // -U: reading a disk that libvirt has not locked (the VM is off) needs no lock; -p: progress.
  const from = source.startsWith("json:") ? [] : ["-f", sourceFormat ?? "raw"];
  return qemuImgOk(["convert", "-p", "-U", ...from, "-O", format, source, dest], options);
}

/** `qemu-img check` of a qcow2 image: null when clean, else its complaint. */
export async function checkImage(path: string): Promise<string | null> {
  const { code, stdout, stderr } = await qemuImg(["check", "-f", "qcow2", path]);
  if (code === 0) return null;
  return (stderr || stdout).trim().split("\n").slice(0, 5).join(" ") || `qemu-img check exited with ${code}`;
}
