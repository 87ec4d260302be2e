import { describe, expect, it } from "vitest";
import { dateInWords, timeElement } from "./time";

const now = new Date("2026-12-01T12:00:00Z");

describe("dates in words", () => {
  it("name the day and how far away it is", () => {
    expect(dateInWords("2026-12-31T09:30:00Z", now)).toMatch(/^Thursday,? 31 December 2026 \(in 30 days\)$/);
    expect(dateInWords("2026-12-01T13:00:00Z", now)).toMatch(/\(today\)$/);
    expect(dateInWords("2026-11-21T12:00:00Z", now)).toMatch(/\(10 days ago\)$/);
  });

  it("keep the exact time a hover away, and show text that is no date as it came", () => {
    const shown = timeElement("2026-12-31T09:30:00Z", now);
    expect(shown.tagName).toBe("TIME");
    expect(shown.getAttribute("datetime")).toBe("2026-12-31T09:30:00.000Z");
    expect(shown.title).toMatch(/31 December 2026/);
    expect(dateInWords("soon", now)).toBeNull();
    expect(timeElement("soon", now).textContent).toBe("soon");
  });
});
