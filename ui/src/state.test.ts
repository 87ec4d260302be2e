import { describe, expect, it } from "vitest";
import { termsInWords } from "./state";

describe("credential terms", () => {
  it("say whether the long-lived key is ever handed out, and the cap", () => {
    expect(termsInWords({ allow_long_lived: false, max_session_seconds: 3600 })).toBe("Session credentials of at most 60 minutes; never the long-lived key");
    const allowed = termsInWords({ allow_long_lived: true, max_session_seconds: 43200 });
    expect(allowed).toContain("at most 720 minutes");
    expect(allowed).toContain("long-lived key is also handed out");
  });
});
