/**
 * Bumped only for incompatible changes (a method removed or its meaning changed).
 * Additions are announced through the capability list, not through this number.
 */
export const PROTOCOL_VERSION = 1;

/** The virtio-serial port name the host and the agent agree on. */
export const AGENT_PORT_NAME = "org.kvmmanager.agent.0";
