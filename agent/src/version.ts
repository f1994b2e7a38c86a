/** Agent release, reported by get_agent_info; the build may not change it. */
export const AGENT_VERSION = "0.1.0";
export const AGENT_NAME = "kvmmanager-agent";
