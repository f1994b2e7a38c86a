import { encodeLine, lineText } from "../../protocol/framing";
import { classify, makeSuccess } from "../../protocol/jsonrpc";
import { methods } from "../../protocol/methods";

/**
 * Until the host's `sync` is answered, nothing it sent is trusted to be meant for
 * this agent: a virtio-serial port keeps the requests a host sent while no agent
 * was reading (QEMU holds them until the port is opened), and running those late
 * could repeat an exec or a file write the host already gave up on. So before the
 * handshake the agent answers exactly one kind of line, a single `sync` request
 * with valid params, and drops everything else without a word (no errors either).
 *
 * Returns the answer to `line` when it is such a request, else null.
 */
export function answerToSync(line: Buffer): Buffer | null {
  let value: unknown;
  try {
    value = JSON.parse(lineText(line));
  } catch {
    return null;
  }
  const message = classify(value);
  if (message.kind !== "request" || message.message.method !== "sync") return null;
  const params = methods.sync.params.safeParse(message.message.params);
  if (!params.success) return null;
  return encodeLine(makeSuccess(message.message.id, { id: params.data.id }));
}
