"use client";
/**
 * An image's page: its engine host, the containers using it, its layers and which other images
 * share each (on the same engine: stored once; on another: a second copy), and collections.
 */
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/lib/trpc";
import type { RouterOutputs } from "../api-types";
import { formatBytes, formatWord, pluralize } from "../format";
import {
  Breadcrumbs,
  cell,
  CollectionHistory,
  isUuid,
  ListTable,
  muted,
  Nothing,
  ObjectFrame,
  ObjectHeader,
  ObjectLink,
  objectRetry,
  ObjectSection,
  Properties,
} from "./parts";

type Image = RouterOutputs["objects"]["image"];

export function ImageView({ customerId, id }: { customerId: string; id: string }) {
  const trpc = useTRPC();
  const query = useQuery({
    ...trpc.objects.image.queryOptions({ customerId, id }),
    enabled: isUuid(customerId) && isUuid(id),
    retry: objectRetry,
  });
  return (
    <ObjectFrame customerId={customerId} kind="image" id={id} query={query}>
      {(image) => <ImagePage customerId={customerId} image={image} />}
    </ObjectFrame>
  );
}

function ImagePage({ customerId, image }: { customerId: string; image: Image }) {
  const { topology: t } = image;
  return (
    <>
      <div>
        <Breadcrumbs crumbs={image.breadcrumbs} customerId={customerId} />
        <ObjectHeader kind="image" name={image.name} />
      </div>

      <ObjectSection id="topology-heading" title="Topology" description="The engine that stores it, and the containers that use it.">
        <div className="space-y-2 px-4 py-3 text-sm text-slate-800 dark:text-slate-200">
          <p data-topology="engine">
            Stored on engine host <ObjectLink customerId={customerId} kind="host" id={t.engineHost.id}>{t.engineHost.name}</ObjectLink>
            {image.duplication && <> — and on {pluralize(image.duplication.hosts - 1, "other host")}, {formatBytes(image.duplication.duplicateBytes)} in extra copies</>}.
          </p>
          {t.containers.length === 0 && <p>No container uses it.</p>}
        </div>
        {t.containers.length > 0 && (
          <ListTable caption={`Containers using ${image.name}`} head={["Container", "State"]}>
            {t.containers.map((c) => (
              <tr key={c.id} data-container={c.name}>
                <td className={cell}>
                  <ObjectLink customerId={customerId} kind="container" id={c.id}>{c.name}</ObjectLink>
                </td>
                <td className={cell}>{formatWord(c.state)}</td>
              </tr>
            ))}
          </ListTable>
        )}
      </ObjectSection>

      <ObjectSection
        id="layers-heading"
        title={`Layers (${t.layers.length})`}
        description="Bottom first. A layer another image on the same engine also holds is stored once; on another engine, it is a second copy."
      >
        {t.layers.length === 0 ? (
          <Nothing>The engine listed no layers for this image.</Nothing>
        ) : (
          <ListTable caption={`Layers of ${image.name}`} head={["#", "Digest", "Size", "Shared with"]}>
            {t.layers.map((l) => (
              <tr key={l.position} data-layer={l.digest}>
                <td className={`${cell} tabular-nums`}>{l.position + 1}</td>
                <td className={`${cell} break-all font-mono text-xs`}>{l.digest}</td>
                <td className={`${cell} tabular-nums whitespace-nowrap`}>{formatBytes(l.sizeBytes)}</td>
                <td className={cell}>
                  {l.sharedWith.length === 0 ? (
                    muted
                  ) : (
                    <ul className="space-y-0.5">
                      {l.sharedWith.map((o) => (
                        <li key={o.id}>
                          <ObjectLink customerId={customerId} kind="image" id={o.id}>{o.name}</ObjectLink>{" "}
                          <span className="text-xs text-slate-500 dark:text-slate-400">{o.sameHost ? "same engine" : `on ${o.hostName}`}</span>
                        </li>
                      ))}
                    </ul>
                  )}
                </td>
              </tr>
            ))}
          </ListTable>
        )}
      </ObjectSection>

      <ObjectSection id="shared-heading" title="Images sharing its layers" description="Most bytes in common first.">
        {t.sharedImages.length === 0 ? (
          <Nothing>No other image of this customer holds any of its layers.</Nothing>
        ) : (
          <ListTable caption={`Images sharing layers with ${image.name}`} head={["Image", "Where", "Layers in common", "Bytes in common"]}>
            {t.sharedImages.map((s) => (
              <tr key={s.id} data-shared-image={s.name}>
                <td className={cell}>
                  <ObjectLink customerId={customerId} kind="image" id={s.id}>{s.name}</ObjectLink>
                </td>
                <td className={cell}>{s.sameHost ? "same engine (stored once)" : `${s.hostName} (a second copy)`}</td>
                <td className={`${cell} tabular-nums`}>{s.layers}</td>
                <td className={`${cell} tabular-nums`}>{formatBytes(s.bytes)}</td>
              </tr>
            ))}
          </ListTable>
        )}
      </ObjectSection>

      <Properties properties={image.properties} />
      <CollectionHistory history={image.history} />
    </>
  );
}
