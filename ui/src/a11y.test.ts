import { beforeEach, describe, expect, it } from "vitest";
import { announce, disableWithReason, focusLost, installAnnouncer } from "./a11y";

describe("assistive technology helpers", () => {
  beforeEach(() => document.body.replaceChildren());

  it("keep one announcer, empty at start, and say the same text twice as a change", () => {
    const region = installAnnouncer(document);
    expect(installAnnouncer(document)).toBe(region);
    expect(document.querySelectorAll("[aria-live]")).toHaveLength(1);
    expect(region.textContent).toBe("");
    announce("Step 1 of 2");
    expect(region.textContent).toBe("Step 1 of 2");
    announce("Step 1 of 2");
    expect(region.textContent).not.toBe("Step 1 of 2");
    expect(region.textContent?.trim()).toBe("Step 1 of 2");
  });

  it("describe a disabled button with its reason, and drop it once enabled", () => {
    const control = document.createElement("button");
    control.id = "go";
    disableWithReason(control, "Not placed yet.");
    expect(control.title).toBe("Not placed yet.");
    expect(control.hasAttribute("aria-describedby")).toBe(false);
    document.body.append(control);
    disableWithReason(control, "Type the name first.");
    expect(control.disabled).toBe(true);
    expect(document.getElementById(control.getAttribute("aria-describedby") ?? "")?.textContent).toBe("Type the name first.");
    disableWithReason(control, null);
    expect(control.disabled).toBe(false);
    expect(control.hasAttribute("title")).toBe(false);
    expect(document.getElementById("go-why")).toBeNull();
  });

  it("tell when focus fell to the page body", () => {
    const field = document.createElement("input");
    document.body.append(field);
    field.focus();
    expect(focusLost()).toBe(false);
    field.remove();
    expect(focusLost()).toBe(true);
  });
});
