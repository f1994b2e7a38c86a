import path from "node:path";
import { z } from "zod";
import { nameSchema } from "../identifiers";

const envSchema = z.object({
  KVMM_DATA_DIR: z.string().min(1).default("./data"),
  KVMM_LIBVIRT_URI: z.string().min(1).default("qemu:///system"),
  /**
   * The local host's libvirtd as other hosts' libvirtd reach it (qemu+ssh://this-machine/system):
   * the destination URI of a peer-to-peer migration to the local host (server/migration/addresses.ts).
   */
  KVMM_LIBVIRT_PEER_URI: z.string().min(1).optional(),
  KVMM_ADMIN_USER: nameSchema.default("admin"),
  KVMM_ADMIN_PASSWORD: z.string().min(8).optional(),
  /** kvm uses hardware virtualisation; qemu emulates (slow, but works where KVM does not, e.g. nested). */
  KVMM_DOMAIN_TYPE: z.enum(["auto", "kvm", "qemu"]).default("auto"),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  HOST: z.string().min(1).default("0.0.0.0"),
  /** `on`: HTTPS on PORT (plain HTTP there is redirected); `off`: plain HTTP, for use behind a TLS-terminating proxy. */
  KVMM_TLS: z.enum(["on", "off"]).default("on"),
  /** The operator's own certificate and key (PEM files); both or neither. Without them a self-signed pair is made in the data directory. */
  KVMM_TLS_CERT: z.string().min(1).optional(),
  KVMM_TLS_KEY: z.string().min(1).optional(),
  /** The Ed25519 key that signs agent bundles for self-update (PEM, private); made on first use as agent-update-key.pem in the data directory when unset. */
  KVMM_AGENT_SIGNING_KEY: z.string().min(1).optional(),
  /** The agent bundle offered to guests for self-update: the one the setup builds (npm run build:agent). */
  KVMM_AGENT_BUNDLE: z.string().min(1).default("agent/dist/kvmm-agent.cjs"),
  /** Addresses of reverse proxies whose X-Forwarded-For / -Proto / -Host are believed; nobody else's are. */
  /** How long a console ticket stays valid (server/console/tickets.ts); 30 s unless a test needs them to expire sooner. */
  KVMM_CONSOLE_TICKET_TTL_S: z.coerce.number().int().min(1).max(300).default(30),
  /** Seconds between two ticks of the metrics collector (server/metrics): every host's VMs sampled once a tick. */
  KVMM_METRICS_INTERVAL_S: z.coerce.number().int().min(1).max(300).default(5),
  KVMM_TRUSTED_PROXIES: z
    .string()
    .default("")
    .transform((v) => v.split(/[\s,]+/).filter(Boolean))
    .pipe(z.array(z.union([z.ipv4(), z.ipv6()], { error: "each entry must be an IP address" }))),
});

export type Env = z.infer<typeof envSchema>;

let cached: Env | undefined;

/** Reads the environment once; a bad value stops start-up with the variable's name in the message. */
export function env(): Env {
  if (cached) return cached;
  const parsed = envSchema
    .refine((e) => (e.KVMM_TLS_CERT === undefined) === (e.KVMM_TLS_KEY === undefined), {
      message: "set both KVMM_TLS_CERT and KVMM_TLS_KEY, or neither",
      path: ["KVMM_TLS_CERT"],
    })
    .safeParse(process.env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`Invalid environment: ${issues}`);
  }
  cached = parsed.data;
  return cached;
}

export function dataDir(): string {
  return path.resolve(env().KVMM_DATA_DIR);
}
