import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DiskCounters } from "./procfs";
import { parseLoadavg, WholeDisks } from "./metrics";

const disk = (name: string): DiskCounters => ({ name, reads: 1, readBytes: 512, writes: 2, writeBytes: 1024 });

describe("WholeDisks", () => {
  it("keeps whole, non-virtual disks and lists /sys/block again only when the devices change", () => {
    let listings = 0;
    let blocks = ["vda", "loop0", "sr0"];
    const whole = new WholeDisks(() => {
      listings++;
      return blocks;
    });
    const first = [disk("vda"), disk("vda1"), disk("loop0"), disk("sr0")];
    assert.deepEqual(
      whole.among(first).map((d) => d.name),
      ["vda"],
    );
    assert.deepEqual(
      whole.among(first).map((d) => d.name),
      ["vda"],
    );
    assert.equal(listings, 1, "the same devices: no second listing");

    // A disk hot-plugged: diskstats names it, so /sys/block is read again and the disk counts.
    blocks = ["vda", "vdb", "loop0", "sr0"];
    assert.deepEqual(
      whole.among([...first, disk("vdb")]).map((d) => d.name),
      ["vda", "vdb"],
    );
    assert.equal(listings, 2);
  });
});

describe("parseLoadavg", () => {
  it("reads the three averages of /proc/loadavg and nothing after them", () => {
    assert.deepEqual(parseLoadavg("0.52 0.58 1.59 1/467 12345\n"), [0.52, 0.58, 1.59]);
  });
  it("gives no figure for text it cannot read, which the metrics report as 0", () => {
    assert.deepEqual(parseLoadavg(""), []);
  });
});
