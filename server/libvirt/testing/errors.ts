// A LibvirtError as libvirtd would report it, for tests of code that translates libvirt failures.
import { LibvirtError } from "../errors";

export function libvirtError(code: number, message: string, procedure = "test"): LibvirtError {
  return new LibvirtError(
    { code, domain: 0, message, level: 2, dom: null, str1: null, str2: null, str3: null, int1: 0, int2: 0, net: null },
    { procedure, uri: "test:///default" },
  );
}
