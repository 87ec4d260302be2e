// A warning before the window closes while a run changes AWS (apply, rotate, teardown, clean-up).
// The window's own close event (onCloseRequested) needs core:window and core:event permissions the
// capability does not grant (it allows this app's commands only), so this uses `beforeunload`.

let running = 0;

export function runInProgress(): boolean {
  return running > 0;
}

/** Marks a run as in progress until `work` settles. */
export async function guardRun<T>(work: () => Promise<T>): Promise<T> {
  running += 1;
  try {
    return await work();
  } finally {
    running -= 1;
  }
}

export function onBeforeUnload(event: BeforeUnloadEvent): string | undefined {
  if (!runInProgress()) return undefined;
  event.preventDefault();
  // Older WebKit shows the prompt only when returnValue is set.
  const message = "A change to AWS is still running. Closing now leaves it half done.";
  event.returnValue = message;
  return message;
}

export function installRunGuard(target: Window = window): void {
  target.addEventListener("beforeunload", onBeforeUnload);
}
