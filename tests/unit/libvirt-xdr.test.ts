/** XDR and libvirt's RPC framing, on byte vectors written out from remote_protocol.x and virnetprotocol.x. */
import { PassThrough, Duplex } from "node:stream";
import { describe, expect, it } from "vitest";
import { collectInventory } from "../../server/collectors/libvirt/collector";
import { LibvirtConnectionError, LibvirtProtocolError, LibvirtRemoteError } from "../../server/collectors/libvirt/errors";
import {
  decodeAllDomainStats,
  decodeDomainInfo,
  decodeNodeInfo,
  formatUuid,
  Procedure,
  readDomain,
  RemoteConnection,
  writeDomain,
} from "../../server/collectors/libvirt/remote";
import {
  decodeMessage,
  decodeRemoteError,
  encodeMessage,
  MessageSplitter,
  REMOTE_PROGRAM,
  RpcClient,
} from "../../server/collectors/libvirt/rpc";
import { XdrError, XdrReader, XdrWriter } from "../../server/collectors/libvirt/xdr";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

describe("XDR", () => {
  it("writes ints, hypers, padded strings and optional strings", () => {
    const bytes = new XdrWriter()
      .int(-2)
      .uint(0x20008086)
      .uhyper(5000000000n)
      .string("abc")
      .string("abcd")
      .optionalString(null)
      .optionalString("x")
      .toBuffer();
    expect(bytes.toString("hex")).toBe(
      "fffffffe" + "20008086" + "000000012a05f200" + "00000003616263 00".replace(" ", "") +
        "0000000461626364" + "00000000" + "00000001" + "00000001" + "78000000",
    );
  });

  it("reads what it writes, and fixed opaques of 16 bytes without a length", () => {
    const uuid = hex("6f1b2c3d00014a5b8c7d9e0f1a2b3c01");
    const w = writeDomain(new XdrWriter(), { name: "web", uuid, id: 7 }).toBuffer();
    expect(w.toString("hex")).toBe("00000003" + "77656200" + uuid.toString("hex") + "00000007");
    const d = readDomain(new XdrReader(w));
    expect(d).toEqual({ name: "web", uuid, id: 7 });
    expect(formatUuid(d.uuid)).toBe("6f1b2c3d-0001-4a5b-8c7d-9e0f1a2b3c01");
  });

  it("reads char[32] as 32 four-byte ints, NUL-terminated", () => {
    const w = new XdrWriter();
    for (const c of Buffer.from("x86_64")) w.int(c);
    for (let i = 6; i < 32; i++) w.int(0);
    expect(new XdrReader(w.toBuffer()).charArray(32)).toBe("x86_64");
  });

  it("rejects truncated data, bad booleans and over-long arrays", () => {
    expect(() => new XdrReader(hex("000000")).int()).toThrow(XdrError);
    expect(() => new XdrReader(hex("00000005616263")).string()).toThrow(/truncated/);
    expect(() => new XdrReader(hex("00000002")).bool()).toThrow(/boolean/);
    expect(() => new XdrReader(hex("00000015")).array((r) => r.int(), 20)).toThrow(/limit/);
    expect(() => new XdrReader(hex("00000003 00000001")).array((r) => r.int())).toThrow(/longer/);
  });
});

describe("remote_protocol.x replies", () => {
  it("decodes NODE_GET_INFO (model as 32 ints, memory as unsigned hyper)", () => {
    const w = new XdrWriter();
    for (const c of Buffer.from("x86_64")) w.int(c);
    for (let i = 6; i < 32; i++) w.int(0);
    w.uhyper(134217728n).int(32).int(2600).int(2).int(1).int(8).int(2);
    expect(decodeNodeInfo(w.toBuffer())).toEqual({
      model: "x86_64",
      memoryKiB: 134217728,
      cpus: 32,
      mhz: 2600,
      nodes: 2,
      sockets: 1,
      cores: 8,
      threads: 2,
    });
  });

  it("decodes DOMAIN_GET_INFO (unsigned char and short take 4 bytes each)", () => {
    const bytes = hex("00000003 0000000000400000 0000000000300000 00000004 00000000000003e8");
    expect(decodeDomainInfo(bytes)).toEqual({
      state: 3,
      maxMemKiB: 4194304,
      memoryKiB: 3145728,
      vcpus: 4,
      cpuTimeNs: 1000n,
    });
  });

  it("decodes CONNECT_GET_ALL_DOMAIN_STATS typed parameters of every type", () => {
    const uuid = Buffer.alloc(16, 1);
    const w = new XdrWriter().uint(1);
    writeDomain(w, { name: "a", uuid, id: 1 });
    w.uint(5);
    w.string("state.state").int(1).int(1);
    w.string("block.count").int(2).uint(1);
    w.string("block.0.name").int(7).string("vda");
    w.string("block.0.capacity").int(4).uhyper(10737418240n);
    w.string("x.bool").int(6).int(1);
    const [record] = decodeAllDomainStats(w.toBuffer());
    expect(record!.domain.name).toBe("a");
    expect([...record!.params]).toEqual([
      ["state.state", 1],
      ["block.count", 1],
      ["block.0.name", "vda"],
      ["block.0.capacity", 10737418240n],
      ["x.bool", true],
    ]);
  });
});

describe("RPC framing", () => {
  it("encodes a CONNECT_OPEN call: length, header, payload", () => {
    const payload = new XdrWriter().optionalString("test:///default").uint(1).toBuffer();
    const message = encodeMessage(
      { program: REMOTE_PROGRAM, version: 1, procedure: Procedure.CONNECT_OPEN, type: 0, serial: 1, status: 0 },
      payload,
    );
    expect(message.toString("hex")).toBe(
      "00000038" + // 4 + 24 + 28
        "20008086" + "00000001" + "00000001" + "00000000" + "00000001" + "00000000" +
        "00000001" + "0000000f" + Buffer.from("test:///default\0").toString("hex") + "00000001",
    );
    const { header, payload: body } = decodeMessage(message.subarray(4));
    expect(header).toEqual({ program: REMOTE_PROGRAM, version: 1, procedure: 1, type: 0, serial: 1, status: 0 });
    expect(body).toEqual(payload);
  });

  it("splits a stream into messages whatever the chunking", () => {
    const a = encodeMessage({ program: REMOTE_PROGRAM, version: 1, procedure: 59, type: 1, serial: 1, status: 0 }, hex("00000001 61000000"));
    const b = encodeMessage({ program: REMOTE_PROGRAM, version: 1, procedure: 2, type: 1, serial: 2, status: 0 }, Buffer.alloc(0));
    const all = Buffer.concat([a, b]);
    for (let cut = 1; cut < all.length; cut++) {
      const splitter = new MessageSplitter();
      const out = [...splitter.push(all.subarray(0, cut)), ...splitter.push(all.subarray(cut))];
      expect(out.map((m) => m.length)).toEqual([a.length - 4, b.length - 4]);
    }
    expect(() => new MessageSplitter().push(hex("00000008 00000000"))).toThrow(LibvirtProtocolError);
  });

  it("decodes a remote_error", () => {
    const payload = new XdrWriter().int(3).int(10).optionalString("this function is not supported").int(2).toBuffer();
    const error = decodeRemoteError("CONNECT_GET_SYSINFO", payload);
    expect(error).toBeInstanceOf(LibvirtRemoteError);
    expect(error.code).toBe(3);
    expect(error.unsupported).toBe(true);
    expect(error.message).toBe("CONNECT_GET_SYSINFO failed: this function is not supported");
  });
});

/** A daemon stand-in on the other end of a duplex: answers calls by procedure, in any order. */
function pair(answer: (procedure: number, serial: number) => Buffer | null | "reset") {
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  const client = Duplex.from({ readable: toClient, writable: toServer });
  const splitter = new MessageSplitter();
  const held: Buffer[] = [];
  toServer.on("data", (chunk: Buffer) => {
    for (const body of splitter.push(chunk)) {
      const { header } = decodeMessage(body);
      const reply = answer(header.procedure, header.serial);
      if (reply === "reset") {
        client.destroy(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }));
        return;
      }
      if (reply) held.unshift(reply); // replies go out in reverse order
    }
    if (held.length >= 2) for (const r of held.splice(0)) toClient.write(r);
  });
  return { client, flush: () => held.splice(0).forEach((r) => toClient.write(r)) };
}

const reply = (procedure: number, serial: number, payload: Buffer, status = 0) =>
  encodeMessage({ program: REMOTE_PROGRAM, version: 1, procedure, type: 1, serial, status }, payload);

describe("RpcClient", () => {
  it("matches out-of-order replies to calls by serial", async () => {
    const { client } = pair((procedure, serial) =>
      reply(procedure, serial, new XdrWriter().string(procedure === 59 ? "host-a" : "<capabilities/>").toBuffer()),
    );
    const conn = new RemoteConnection(new RpcClient(client));
    await expect(Promise.all([conn.hostname(), conn.capabilities()])).resolves.toEqual(["host-a", "<capabilities/>"]);
    conn.rpc.destroy();
  });

  it("rejects with the daemon's error, and with a connection error when reset mid-call", async () => {
    const { client, flush } = pair((procedure, serial) => {
      if (procedure === Procedure.CONNECT_GET_SYSINFO) {
        return reply(procedure, serial, new XdrWriter().int(3).int(10).optionalString("not supported").toBuffer(), 1);
      }
      if (procedure === Procedure.NODE_GET_INFO) return "reset";
      return null;
    });
    const conn = new RemoteConnection(new RpcClient(client, { peer: "libvirt (test)" }));
    const sysinfo = conn.sysinfo();
    setTimeout(flush, 5);
    await expect(sysinfo).rejects.toThrow("CONNECT_GET_SYSINFO failed: not supported");
    const pending = conn.hostname();
    await expect(conn.nodeInfo()).rejects.toBeInstanceOf(LibvirtConnectionError);
    await expect(pending).rejects.toThrow(/CONNECT_GET_HOSTNAME: connection to libvirt \(test\) failed: read ECONNRESET/);
    await expect(conn.hostname()).rejects.toBeInstanceOf(LibvirtConnectionError);
  });

  it("refuses a daemon that only offers SASL or polkit", async () => {
    const { client, flush } = pair((procedure, serial) => reply(procedure, serial, new XdrWriter().uint(1).int(1).toBuffer()));
    const conn = new RemoteConnection(new RpcClient(client));
    const check = conn.checkAuth();
    setTimeout(flush, 5);
    await expect(check).rejects.toThrow(/requires SASL authentication.*not supported yet, use tls .* or ssh/);
    conn.rpc.destroy();
  });
});

describe("RpcClient with maxInFlight 1 (TLS)", () => {
  it("sends the next call only after the previous answer", async () => {
    const toServer = new PassThrough();
    const toClient = new PassThrough();
    const client = Duplex.from({ readable: toClient, writable: toServer });
    const splitter = new MessageSplitter();
    let outstanding = 0;
    let most = 0;
    toServer.on("data", (chunk: Buffer) => {
      for (const body of splitter.push(chunk)) {
        const { header } = decodeMessage(body);
        most = Math.max(most, ++outstanding);
        setTimeout(() => {
          outstanding--;
          toClient.write(reply(header.procedure, header.serial, new XdrWriter().string(`s${header.serial}`).toBuffer()));
        }, 2);
      }
    });
    const conn = new RemoteConnection(new RpcClient(client, { maxInFlight: 1 }));
    await expect(Promise.all([conn.hostname(), conn.hostname(), conn.hostname()])).resolves.toEqual(["s1", "s2", "s3"]);
    expect(most).toBe(1);
    conn.rpc.destroy();
  });
});

describe("collectInventory against an old daemon", () => {
  it("says plainly which call the daemon lacks, and skips optional ones quietly", async () => {
    const toServer = new PassThrough();
    const toClient = new PassThrough();
    const client = Duplex.from({ readable: toClient, writable: toServer });
    const splitter = new MessageSplitter();
    const error = (code: number, message: string) => new XdrWriter().int(code).int(7).optionalString(message).toBuffer();
    toServer.on("data", (chunk: Buffer) => {
      for (const body of splitter.push(chunk)) {
        const { header } = decodeMessage(body);
        const p = header.procedure;
        const ok = (payload: Buffer) => toClient.write(reply(p, header.serial, payload));
        const fail = (payload: Buffer) => toClient.write(reply(p, header.serial, payload, 1));
        if (p === Procedure.CONNECT_GET_HOSTNAME) ok(new XdrWriter().string("old-host").toBuffer());
        else if (p === Procedure.CONNECT_GET_TYPE) ok(new XdrWriter().string("QEMU").toBuffer());
        else if (p === Procedure.CONNECT_GET_VERSION || p === Procedure.CONNECT_GET_LIB_VERSION) ok(new XdrWriter().uhyper(9000n).toBuffer());
        else if (p === Procedure.NODE_GET_INFO) {
          const w = new XdrWriter();
          for (let i = 0; i < 32; i++) w.int(0);
          ok(w.uhyper(1024n).int(1).int(1000).int(1).int(1).int(1).int(1).toBuffer());
        } else if (p === Procedure.CONNECT_LIST_ALL_DOMAINS) fail(error(39, "unknown procedure: 273"));
        else fail(error(3, "this function is not supported by the connection driver"));
      }
    });
    const conn = new RemoteConnection(new RpcClient(client));
    await expect(collectInventory(conn, "qemu+tcp://old/system")).rejects.toThrow(
      "the libvirt daemon does not support CONNECT_LIST_ALL_DOMAINS (libvirt too old, or the driver lacks it): unknown procedure: 273",
    );
    conn.rpc.destroy();
  });
});
