"use client";
import { useEffect, useRef, type KeyboardEvent } from "react";

/**
 * A <details> used as a menu: closed by Escape (focus back on its summary) and by a click or tap
 * outside it, as a person expects of a menu; opened by its summary with the mouse or the keyboard.
 */
export function useDisclosure() {
  const ref = useRef<HTMLDetailsElement>(null);
  useEffect(() => {
    const onPointerDown = (event: PointerEvent) => {
      const details = ref.current;
      if (details?.open && event.target instanceof Node && !details.contains(event.target)) details.open = false;
    };
    document.addEventListener("pointerdown", onPointerDown);
    return () => document.removeEventListener("pointerdown", onPointerDown);
  }, []);
  const close = () => {
    if (ref.current) ref.current.open = false;
  };
  const onKeyDown = (event: KeyboardEvent<HTMLDetailsElement>) => {
    if (event.key === "Escape" && ref.current?.open) {
      close();
      ref.current.querySelector("summary")?.focus();
    }
  };
  return { ref, close, onKeyDown };
}
