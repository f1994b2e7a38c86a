// libvirt sends UUIDs as 16 raw bytes; the product addresses VMs by the text form.

const UUID_TEXT = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

export function uuidToString(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new Error(`a UUID has 16 bytes, got ${bytes.length}`);
  const hex = Buffer.from(bytes).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function uuidFromString(text: string): Buffer {
  if (!UUID_TEXT.test(text)) throw new Error(`not a UUID: '${text}'`);
  return Buffer.from(text.replace(/-/g, ""), "hex");
}
