/**
 * The narrow window's drawer (below 900 px the space list slides in over the page): open and
 * closed, the button that toggles it, and the ways it closes: Escape (focus back on the
 * button), a swipe to the left, a choice (the caller closes it), or a window widened past the
 * drawer's width. A swipe in from the left edge opens it.
 */
import { useEffect, useRef, useState } from "react";

/** Must match the drawer's media query in styles.css. */
export const NARROW = "(max-width: 899px)";

export function useDrawer() {
  const [navOpen, setNavOpen] = useState(false);
  const navButton = useRef<HTMLButtonElement>(null);

  // The open drawer closes with Escape, giving focus back to its button.
  useEffect(() => {
    if (!navOpen) return;
    // Onto the current space (or the first), not the search box: no keyboard pops up on a phone.
    document
      .querySelector<HTMLElement>(".sidebar .space-item.active, .sidebar .space-item")
      ?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape" || document.querySelector("dialog[open]")) return;
      setNavOpen(false);
      navButton.current?.focus();
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, [navOpen]);

  // A window widened past the drawer's width has no drawer to close: the page must not stay inert.
  useEffect(() => {
    const narrow = matchMedia(NARROW);
    const onChange = () => {
      if (!narrow.matches) setNavOpen(false);
    };
    narrow.addEventListener("change", onChange);
    return () => narrow.removeEventListener("change", onChange);
  }, []);

  // On a touch screen the drawer follows a swipe: in from the left edge, out to the left.
  useEffect(() => {
    let start: { x: number; y: number } | undefined;
    const down = (e: TouchEvent) => {
      const t = e.touches[0];
      start = t ? { x: t.clientX, y: t.clientY } : undefined;
    };
    const up = (e: TouchEvent) => {
      const t = e.changedTouches[0];
      if (!start || !t || !matchMedia(NARROW).matches) return;
      const dx = t.clientX - start.x;
      // Mostly sideways and far enough to be meant.
      if (Math.abs(dx) < 60 || Math.abs(t.clientY - start.y) > Math.abs(dx) / 2) return;
      if (dx > 0 && start.x < 24) setNavOpen(true);
      if (dx < 0) setNavOpen(false);
    };
    addEventListener("touchstart", down, { passive: true });
    addEventListener("touchend", up, { passive: true });
    return () => {
      removeEventListener("touchstart", down);
      removeEventListener("touchend", up);
    };
  }, []);

  return { open: navOpen, setOpen: setNavOpen, button: navButton };
}
