import path from "node:path";
import { z } from "zod";

const envSchema = z.object({
  KVMM_DATA_DIR: z.string().min(1).default("./data"),
  KVMM_LIBVIRT_URI: z.string().min(1).default("qemu:///system"),
  KVMM_ADMIN_USER: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/).default("admin"),
  KVMM_ADMIN_PASSWORD: z.string().min(8).optional(),
  /** kvm uses hardware virtualisation; qemu emulates (slow, but works where KVM does not, e.g. nested). */
  KVMM_DOMAIN_TYPE: z.enum(["auto", "kvm", "qemu"]).default("auto"),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  HOST: z.string().min(1).default("0.0.0.0"),
});

export type Env = z.infer<typeof envSchema>;

let cached: Env | undefined;

/** Reads the environment once; a bad value stops start-up with the variable's name in the message. */
export function env(): Env {
  if (cached) return cached;
  const parsed = envSchema.safeParse(process.env);
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
