/**
 * One webhook attempt: a signed JSON POST with a deadline for the whole exchange and a bounded
 * read of the answer (it only goes into the log). Redirects are not followed.
 */
import http from "node:http";
import https from "node:https";
import { ATTEMPT_TIMEOUT_MS, MAX_RESPONSE_BYTES, bounded, httpOutcome, type Outcome } from "./policy";
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signWebhook } from "./signing";

export interface AttemptResult {
  outcome: Outcome;
  httpStatus: number | null;
  reply: string | null;
  error: string | null;
}

export interface WebhookRequest {
  url: string;
  secret: string;
  body: string;
  event: string;
  deliveryId: number;
  /** Unix ms of the attempt; the signature's timestamp is its seconds. */
  now: number;
  timeoutMs?: number;
}

/** Network failures in words: what the log and the alert page show. */
export function networkErrorWords(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  switch (e?.code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "host name not found";
    case "ECONNRESET":
      return "connection reset by the receiver";
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return "host unreachable";
    case "ETIMEDOUT":
      return "timed out";
    default:
      return e instanceof Error ? e.message : String(err);
  }
}

export function postWebhook(req: WebhookRequest): Promise<AttemptResult> {
  const timestamp = Math.floor(req.now / 1000);
  const url = new URL(req.url);
  const client = url.protocol === "https:" ? https : http;
  const timeoutMs = req.timeoutMs ?? ATTEMPT_TIMEOUT_MS;
  return new Promise<AttemptResult>((resolve) => {
    let settled = false;
    const finish = (result: AttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(result);
    };
    const request = client.request(
      url,
      {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(req.body),
          "user-agent": "KVM-Manager-Alerts",
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: signWebhook(req.secret, timestamp, req.body),
          [EVENT_HEADER]: req.event,
          [DELIVERY_HEADER]: String(req.deliveryId),
        },
      },
      (response) => {
        const status = response.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () => {
          const text = Buffer.concat(chunks).toString("utf8");
          finish({ outcome: httpOutcome(status), httpStatus: status, reply: text ? bounded(text) : null, error: null });
        };
        response.on("data", (chunk: Buffer) => {
          if (size >= MAX_RESPONSE_BYTES) return;
          chunks.push(chunk.subarray(0, MAX_RESPONSE_BYTES - size));
          size += chunk.length;
          // Enough of the answer for the log: the rest is not waited for.
          if (size >= MAX_RESPONSE_BYTES) {
            response.destroy();
            done();
          }
        });
        response.on("end", done);
        response.on("error", done);
      },
    );
    const deadline = setTimeout(() => {
      request.destroy();
      finish({ outcome: "retry", httpStatus: null, reply: null, error: `no answer within ${Math.round(timeoutMs / 1000)} s` });
    }, timeoutMs);
    request.on("error", (err) => finish({ outcome: "retry", httpStatus: null, reply: null, error: bounded(networkErrorWords(err)) }));
    request.end(req.body);
  });
}
