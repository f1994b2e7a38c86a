/** The virtio-serial port names of the two guest agents (DESIGN §4); plain constants, safe for client code. */
export const AGENT_CHANNEL = "org.kvmmanager.agent.0";
export const QGA_CHANNEL = "org.qemu.guest_agent.0";
