import { childProcess } from "../../child-process";
import { ErrorCode, RpcError } from "../../../protocol/errors";

const TIMEOUT_MS = 20_000;
const MAX_OUTPUT = 16 * 1024 * 1024;

/** Runs a PowerShell pipeline and returns its objects as parsed JSON (ConvertTo-Json). */
export function powershellJson(pipeline: string): Promise<unknown> {
  const script = `$ProgressPreference='SilentlyContinue'; ${pipeline} | ConvertTo-Json -Depth 5 -Compress`;
  return new Promise((resolve, reject) => {
    childProcess().execFile(
      "powershell.exe",
      ["-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-Command", script],
      { timeout: TIMEOUT_MS, maxBuffer: MAX_OUTPUT, windowsHide: true },
      (error, stdout, stderr) => {
        if (error) {
          const code = (error as { killed?: boolean }).killed ? ErrorCode.Timeout : ErrorCode.InternalError;
          reject(new RpcError(code, `powershell failed: ${stderr.trim() || error.message}`));
          return;
        }
        const text = stdout.trim();
        try {
          resolve(text === "" ? null : JSON.parse(text));
        } catch (parseError) {
          reject(new RpcError(ErrorCode.InternalError, `powershell printed invalid JSON: ${(parseError as Error).message}`));
        }
      },
    );
  });
}

/** Runs a console program and returns its stdout (for tools without an object interface, like quser). */
export function runText(program: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    childProcess().execFile(program, args, { timeout: TIMEOUT_MS, windowsHide: true }, (error, stdout) => {
      // quser exits 1 when nobody is logged on, with nothing useful on stdout.
      if (error && stdout.trim() === "") {
        reject(error);
        return;
      }
      resolve(stdout);
    });
  });
}
