// The one Node API a unit test uses (reading the style sheet as text); the UI itself runs in a webview.
declare module "node:fs" {
  export function readFileSync(path: string, encoding: "utf8"): string;
}
