import { AGENT_PORT_NAME } from "@/agent/protocol/version";

/** The virtio-serial port names of the two guest agents (DESIGN §4); plain constants, safe for client code. */
export const AGENT_CHANNEL = AGENT_PORT_NAME;
/** Fixed by QEMU's qemu-ga: the name it looks for in the guest. */
export const QGA_CHANNEL = "org.qemu.guest_agent.0";
