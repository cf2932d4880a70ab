/**
 * A button that opens a small panel beside it (the More menu, Visitor info, Invite a colleague):
 * a click elsewhere or Escape closes it, and Escape puts the focus back on the button. Escape
 * closes the innermost one only, not a menu it sits in.
 */
import { useEffect, useRef, useState } from 'preact/hooks';

export function useDisclosure() {
  const [open, setOpen] = useState(false);
  const wrap = useRef<HTMLDivElement>(null);
  const toggle = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!open) return;
    const outside = (e: PointerEvent) => {
      if (!wrap.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('pointerdown', outside);
    return () => document.removeEventListener('pointerdown', outside);
  }, [open]);
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key !== 'Escape' || !open) return;
    e.stopPropagation();
    setOpen(false);
    toggle.current?.focus();
  };
  return { open, setOpen, wrap, toggle, onKeyDown };
}
