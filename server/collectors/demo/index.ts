/** The demo kind: a seeded, generated fleet for one demo customer (endpoint `demo:<customer key>`). */
import { defineCollector } from "../types";
import { demoCliParser } from "./cli";
import { collectDemo, demoOptions } from "./collector";

export const demo = defineCollector({
  kind: "demo",
  label: "Demo",
  endpoint: { pattern: /^demo:[a-z0-9-]+$/, example: "demo:northwind" },
  options: demoOptions,
  fields: [],
  secret: { kind: "none" },
  collect: collectDemo,
  cli: demoCliParser,
});
