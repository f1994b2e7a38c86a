import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { linuxTimeZone, type TimeZoneSources } from "./timezone";

function sources(over: { tz?: string; link?: string; timezoneFile?: string }): TimeZoneSources {
  return {
    env: over.tz === undefined ? {} : { TZ: over.tz },
    readlink: async () => {
      if (over.link === undefined) throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
      return over.link;
    },
    readText: async () => over.timezoneFile ?? null,
  };
}

describe("linuxTimeZone", () => {
  it("takes TZ first, with or without glibc's leading colon", async () => {
    assert.equal(await linuxTimeZone(sources({ tz: "Europe/Berlin", link: "/usr/share/zoneinfo/Asia/Tokyo" })), "Europe/Berlin");
    assert.equal(await linuxTimeZone(sources({ tz: ":America/Argentina/Buenos_Aires" })), "America/Argentina/Buenos_Aires");
  });

  it("reads the zone /etc/localtime links to, relative or absolute, posix/ and right/ trees too", async () => {
    assert.equal(await linuxTimeZone(sources({ link: "/usr/share/zoneinfo/Asia/Tokyo" })), "Asia/Tokyo");
    assert.equal(await linuxTimeZone(sources({ link: "../usr/share/zoneinfo/Etc/UTC" })), "Etc/UTC");
    assert.equal(await linuxTimeZone(sources({ link: "/usr/share/zoneinfo/posix/Europe/Paris" })), "Europe/Paris");
  });

  it("falls back to /etc/timezone, then to UTC; a POSIX rule in TZ is not a zone name", async () => {
    assert.equal(await linuxTimeZone(sources({ timezoneFile: "Europe/Lisbon\n" })), "Europe/Lisbon");
    assert.equal(await linuxTimeZone(sources({ tz: "CET-1CEST,M3.5.0,M10.5.0/3", timezoneFile: "Europe/Lisbon\n" })), "Europe/Lisbon");
    assert.equal(await linuxTimeZone(sources({ link: "/etc/some-file" })), "UTC");
    assert.equal(await linuxTimeZone(sources({})), "UTC");
  });
});
