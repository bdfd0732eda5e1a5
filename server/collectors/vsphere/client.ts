/**
 * A small, typed vim25 client: the handful of methods an inventory needs.
 *
 * RetrieveServiceContent → SessionManager.Login → ViewManager.CreateContainerView over the root
 * folder → PropertyCollector.RetrievePropertiesEx (+ ContinueRetrievePropertiesEx while the server
 * pages) → DestroyView → Logout. A session that expires mid-run (NotAuthenticated) is logged in
 * again once, and the interrupted work is done again from its start.
 */
import {
  isNotAuthenticated,
  VsphereFaultError,
  VsphereLoginError,
  VsphereProtocolError,
} from "./errors";
import { escapeXml, SoapTransport, type SoapCallOptions, type TransportOptions } from "./soap";
import { child, type XmlElement } from "./xml";

export interface MoRef {
  type: string;
  value: string;
}

export interface AboutInfo {
  name: string;
  fullName: string;
  version: string;
  build: string;
  /** "VirtualCenter" for a vCenter, "HostAgent" for a standalone ESXi. */
  apiType: string;
  apiVersion: string;
  instanceUuid: string | null;
}

export interface ServiceContent {
  rootFolder: MoRef;
  propertyCollector: MoRef;
  viewManager: MoRef;
  sessionManager: MoRef;
  /** Custom attribute definitions (absent on a standalone ESXi). */
  customFieldsManager: MoRef | null;
  /** Statistics (QueryPerf); null when the server has none. */
  perfManager: MoRef | null;
  /** Events (CreateCollectorForEvents); null when the server has none. */
  eventManager: MoRef | null;
  /** The server's settings (OptionManager: vpxd.stats.maxQueryMetrics); null when absent. */
  setting: MoRef | null;
  about: AboutInfo;
}

export interface MissingProperty {
  path: string;
  /** The fault's type: "NoPermission", "NotAuthenticated", "InvalidProperty", ... */
  fault: string;
}

/** One object of a property collection: its reference, property values by path, what was missing. */
export interface ObjectContent {
  obj: MoRef;
  props: Map<string, XmlElement>;
  missing: MissingProperty[];
}

/** What to collect: one object type (subtypes included) and its property paths, over a view. */
export interface PropertyRequest {
  type: string;
  paths: readonly string[];
}

export interface ClientOptions extends TransportOptions {
  username: string;
  password: string;
  /** Objects per RetrievePropertiesEx page the server may send (it may send fewer). */
  pageSize?: number;
}

export function moRefXml(tag: string, ref: MoRef) {
  return `<${tag} type="${escapeXml(ref.type)}">${escapeXml(ref.value)}</${tag}>`;
}

function element(tag: string, value: string | number | boolean) {
  return `<${tag}>${escapeXml(String(value))}</${tag}>`;
}

export function readMoRef(e: XmlElement | undefined): MoRef | null {
  if (!e || !e.type) return null;
  return { type: e.type, value: e.text };
}

function requireMoRef(e: XmlElement | undefined, what: string): MoRef {
  const ref = readMoRef(e);
  if (!ref) throw new VsphereProtocolError(`RetrieveServiceContent: no ${what} in the service content`);
  return ref;
}

/** Reads one <objects> element of a RetrievePropertiesEx answer. */
export function readObjectContent(objects: XmlElement): ObjectContent {
  const obj = readMoRef(child(objects, "obj"));
  if (!obj) throw new VsphereProtocolError("RetrievePropertiesEx: an object without a reference");
  const props = new Map<string, XmlElement>();
  const missing: MissingProperty[] = [];
  for (const c of objects.children) {
    if (c.name === "propSet") {
      const name = child(c, "name")?.text;
      const val = child(c, "val");
      if (name !== undefined && val) props.set(name, val);
    } else if (c.name === "missingSet") {
      const fault = child(child(c, "fault"), "fault");
      missing.push({ path: child(c, "path")?.text ?? "", fault: fault?.xsiType || fault?.name || "" });
    }
  }
  return { obj, props, missing };
}

/**
 * RetrievePropertiesEx's arguments after _this: a PropertyFilterSpec that starts at a ContainerView
 * (skipped itself) and follows its `view` to every object in it, and the RetrieveOptions.
 */
export function propertyFilterXml(view: MoRef, request: PropertyRequest, pageSize?: number): string {
  return (
    `<specSet><propSet>${element("type", request.type)}${element("all", false)}` +
    request.paths.map((p) => element("pathSet", p)).join("") +
    `</propSet><objectSet>${moRefXml("obj", view)}${element("skip", true)}` +
    `<selectSet xsi:type="TraversalSpec">${element("name", "traverseView")}${element("type", "ContainerView")}` +
    `${element("path", "view")}${element("skip", false)}</selectSet></objectSet></specSet>` +
    `<options>${pageSize ? element("maxObjects", pageSize) : ""}</options>`
  );
}

const DEPTH_OF_OBJECTS = 5; // Envelope > Body > RetrievePropertiesExResponse > returnval > objects

export class VsphereClient {
  /** The server's session key once logged in (the value of the vmware_soap_session cookie). */
  sessionKey: string | null = null;
  /** How many times this client logged in (2 after a session expired and was renewed). */
  logins = 0;

  private constructor(
    readonly transport: SoapTransport,
    readonly content: ServiceContent,
    private readonly options: ClientOptions,
  ) {}

  /** Opens the endpoint and reads its service content; does not log in yet. */
  static async connect(options: ClientOptions): Promise<VsphereClient> {
    const transport = new SoapTransport(options);
    try {
      const response = await transport.call(
        "RetrieveServiceContent",
        moRefXml("_this", { type: "ServiceInstance", value: "ServiceInstance" }),
      );
      const content = readServiceContent(child(response, "returnval"));
      if (content.about.apiVersion) transport.apiVersion = content.about.apiVersion;
      return new VsphereClient(transport, content, options);
    } catch (error) {
      transport.close();
      throw error;
    }
  }

  /** Calls a method on a managed object; `body` is the XML of its other arguments. */
  call(method: string, self: MoRef, body = "", options?: SoapCallOptions) {
    return this.transport.call(method, moRefXml("_this", self) + body, options);
  }

  async login(): Promise<void> {
    const { username, password } = this.options;
    this.transport.clearSession();
    try {
      const response = await this.call(
        "Login",
        this.content.sessionManager,
        element("userName", username) + element("password", password),
      );
      this.sessionKey = child(child(response, "returnval"), "key")?.text ?? null;
      this.logins++;
    } catch (error) {
      if (error instanceof VsphereFaultError && error.faultType === "InvalidLogin") {
        throw new VsphereLoginError(error.faultString, username);
      }
      // A server that echoes the request in its fault must not put the password in the run's error.
      if (error instanceof Error && password && error.message.includes(password)) {
        error.message = error.message.replaceAll(password, "***");
      }
      throw error;
    }
  }

  /** Ends the session; never throws (the session may already be gone). Returns whether it did. */
  async logout(): Promise<boolean> {
    if (!this.transport.hasSession) return false;
    try {
      await this.call("Logout", this.content.sessionManager, "", { signal: AbortSignal.timeout(10_000) });
      return true;
    } catch {
      return false;
    } finally {
      this.transport.clearSession();
      this.sessionKey = null;
    }
  }

  /** Releases the connections. */
  close() {
    this.transport.close();
  }

  /**
   * Runs `work` in the session; if the server says NotAuthenticated (the session expired or was
   * ended), logs in again once and runs `work` again from its start.
   */
  async withSession<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (!isNotAuthenticated(error)) throw error;
      await this.login();
      return work();
    }
  }

  async createContainerView(types: readonly string[]): Promise<MoRef> {
    const response = await this.call(
      "CreateContainerView",
      this.content.viewManager,
      moRefXml("container", this.content.rootFolder) +
        types.map((t) => element("type", t)).join("") +
        element("recursive", true),
    );
    const view = readMoRef(child(response, "returnval"));
    if (!view) throw new VsphereProtocolError("CreateContainerView: no view in the answer");
    return view;
  }

  async destroyView(view: MoRef): Promise<void> {
    await this.call("DestroyView", view);
  }

  /**
   * Collects `request.paths` of every object of `request.type` in `view`, page by page, handing
   * each object to `onObject` as soon as it is read. Returns the number of objects.
   */
  async retrieveProperties(
    view: MoRef,
    request: PropertyRequest,
    onObject: (object: ObjectContent) => void,
    signal?: AbortSignal,
  ): Promise<number> {
    const body = propertyFilterXml(view, request, this.options.pageSize);
    return this.retrievePages("RetrievePropertiesEx", body, onObject, signal);
  }

  /** Properties of one managed object (not through a view); null when the server sends no object. */
  async retrieveObject(ref: MoRef, paths: readonly string[], signal?: AbortSignal): Promise<ObjectContent | null> {
    const body =
      `<specSet><propSet>${element("type", ref.type)}${element("all", false)}` +
      paths.map((p) => element("pathSet", p)).join("") +
      `</propSet><objectSet>${moRefXml("obj", ref)}</objectSet></specSet><options/>`;
    const response = await this.call("RetrievePropertiesEx", this.content.propertyCollector, body, { signal });
    const objects = child(child(response, "returnval"), "objects");
    return objects ? readObjectContent(objects) : null;
  }

  /** The collection's signal (cancellation by the caller). */
  get signal(): AbortSignal {
    return this.options.signal;
  }

  private async retrievePages(
    firstMethod: string,
    firstBody: string,
    onObject: (object: ObjectContent) => void,
    signal: AbortSignal | undefined,
  ): Promise<number> {
    const collector = this.content.propertyCollector;
    let count = 0;
    const onElementEnd = (e: XmlElement, depth: number) => {
      if (depth !== DEPTH_OF_OBJECTS || e.name !== "objects") return false;
      onObject(readObjectContent(e));
      count++;
      return true;
    };
    let method = firstMethod;
    let body = firstBody;
    let token: string | undefined;
    try {
      for (;;) {
        const response = await this.call(method, collector, body, { onElementEnd, signal });
        token = child(child(response, "returnval"), "token")?.text || undefined;
        if (!token) return count;
        method = "ContinueRetrievePropertiesEx";
        body = element("token", token);
      }
    } catch (error) {
      // Tell the server to drop the rest of an interrupted paged result (best effort).
      if (token && !isNotAuthenticated(error)) {
        const cancel = { signal: AbortSignal.timeout(10_000) };
        await this.call("CancelRetrievePropertiesEx", collector, element("token", token), cancel).catch(() => undefined);
      }
      throw error;
    }
  }
}

function readServiceContent(returnval: XmlElement | undefined): ServiceContent {
  if (!returnval) throw new VsphereProtocolError("RetrieveServiceContent: empty answer");
  const about = child(returnval, "about");
  const text = (name: string) => child(about, name)?.text ?? "";
  return {
    rootFolder: requireMoRef(child(returnval, "rootFolder"), "rootFolder"),
    propertyCollector: requireMoRef(child(returnval, "propertyCollector"), "propertyCollector"),
    viewManager: requireMoRef(child(returnval, "viewManager"), "viewManager"),
    sessionManager: requireMoRef(child(returnval, "sessionManager"), "sessionManager"),
    customFieldsManager: readMoRef(child(returnval, "customFieldsManager")),
    perfManager: readMoRef(child(returnval, "perfManager")),
    eventManager: readMoRef(child(returnval, "eventManager")),
    setting: readMoRef(child(returnval, "setting")),
    about: {
      name: text("name"),
      fullName: text("fullName"),
      version: text("version"),
      build: text("build"),
      apiType: text("apiType"),
      apiVersion: text("apiVersion"),
      instanceUuid: text("instanceUuid") || null,
    },
  };
}

