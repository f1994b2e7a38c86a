import { z } from "zod";
import { nameSchema } from "../identifiers";
import { ipv4Problems, isIpv4 } from "./ipv4";

/** Input validation for networks: names, bridge names and IPv4 configurations, all bounded. */

export const networkNameSchema = nameSchema;

/** Linux interface names: at most 15 characters. */
export const bridgeNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/, "a bridge name of 1–15 letters, digits and _ . -");

const ipv4Schema = z.string().refine(isIpv4, "an IPv4 address such as 10.213.1.1");

export const ipv4ConfigSchema = z
  .object({
    address: ipv4Schema,
    prefix: z.number().int().min(8).max(30),
    dhcp: z.object({ start: ipv4Schema, end: ipv4Schema }).optional(),
  })
  .superRefine((ip, ctx) => {
    for (const message of ipv4Problems(ip)) ctx.addIssue({ code: "custom", message });
  });

export const networkSpecSchema = z.discriminatedUnion("mode", [
  z.object({ mode: z.literal("nat"), name: networkNameSchema, bridge: bridgeNameSchema.optional(), ipv4: ipv4ConfigSchema }),
  z.object({ mode: z.literal("isolated"), name: networkNameSchema, bridge: bridgeNameSchema.optional(), ipv4: ipv4ConfigSchema }),
  z.object({ mode: z.literal("bridge"), name: networkNameSchema, bridge: bridgeNameSchema }),
]);
