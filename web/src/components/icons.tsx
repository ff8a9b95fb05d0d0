// Inline SVG icons (decorative: the buttons around them carry the labels).
import type { JSX } from "preact";

function Icon({ d, size = 20 }: { d: string; size?: number }): JSX.Element {
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path d={d} fill="currentColor" />
    </svg>
  );
}

export const SendIcon = () => <Icon d="M2 21l21-9L2 3v7l15 2-15 2z" />;
export const AttachIcon = () => (
  <Icon d="M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10v9.5a2.5 2.5 0 0 0 5 0V5a4 4 0 0 0-8 0v12.5a5.5 5.5 0 0 0 11 0V6z" />
);
export const MicIcon = () => (
  <Icon d="M12 14a3 3 0 0 0 3-3V5a3 3 0 0 0-6 0v6a3 3 0 0 0 3 3zm5.3-3a5.3 5.3 0 0 1-10.6 0H5a7 7 0 0 0 6 6.9V21h2v-3.1a7 7 0 0 0 6-6.9z" />
);
export const StopIcon = () => <Icon d="M6 6h12v12H6z" />;
export const BackIcon = () => <Icon d="M20 11H7.8l5.6-5.6L12 4l-8 8 8 8 1.4-1.4L7.8 13H20z" />;
export const MoreIcon = () => (
  <Icon d="M12 8a2 2 0 1 0 0-4 2 2 0 0 0 0 4zm0 2a2 2 0 1 0 0 4 2 2 0 0 0 0-4zm0 6a2 2 0 1 0 0 4 2 2 0 0 0 0-4z" />
);
export const CloseIcon = () => (
  <Icon d="M19 6.4L17.6 5 12 10.6 6.4 5 5 6.4 10.6 12 5 17.6 6.4 19 12 13.4 17.6 19 19 17.6 13.4 12z" />
);
export const PlusIcon = () => <Icon d="M19 13h-6v6h-2v-6H5v-2h6V5h2v6h6z" />;
export const DownIcon = () => <Icon d="M12 16.5l-6-6 1.4-1.4 4.6 4.6 4.6-4.6 1.4 1.4z" />;
export const InfoIcon = () => (
  <Icon d="M11 7h2v2h-2zm0 4h2v6h-2zm1-9a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm0 18a8 8 0 1 1 0-16 8 8 0 0 1 0 16z" />
);
export const HeartIcon = ({ filled }: { filled: boolean }) => (
  <Icon
    d={
      filled
        ? "M12 21.4l-1.5-1.3C5.4 15.4 2 12.3 2 8.5 2 5.4 4.4 3 7.5 3c1.7 0 3.4.8 4.5 2.1C13.1 3.8 14.8 3 16.5 3 19.6 3 22 5.4 22 8.5c0 3.8-3.4 6.9-8.5 11.5z"
        : "M16.5 3c-1.7 0-3.4.8-4.5 2.1C10.9 3.8 9.2 3 7.5 3 4.4 3 2 5.4 2 8.5c0 3.8 3.4 6.9 8.5 11.5l1.5 1.4 1.5-1.3C18.6 15.4 22 12.3 22 8.5 22 5.4 19.6 3 16.5 3zm-4.4 15.6l-.1.1-.1-.1C7.1 14.2 4 11.4 4 8.5 4 6.5 5.5 5 7.5 5c1.5 0 3 1 3.6 2.4h1.9C13.5 6 15 5 16.5 5c2 0 3.5 1.5 3.5 3.5 0 2.9-3.1 5.7-7.9 10.1z"
    }
  />
);
/** One tick: sent. Two ticks: read by someone. */
export const TicksIcon = ({ read }: { read: boolean }) => (
  <svg width="18" height="12" viewBox="0 0 18 12" aria-hidden="true" focusable="false">
    <path d="M1 6.5l3.5 3.5L11 3.5" fill="none" stroke="currentColor" stroke-width="1.8" />
    {read && <path d="M7 9.5l.5.5L14 3.5" fill="none" stroke="currentColor" stroke-width="1.8" />}
  </svg>
);
export const MutedIcon = () => (
  <Icon
    size={16}
    d="M3 9v6h4l5 5V4L7 9H3zm13.6-.8-1.4 1.4 2.4 2.4-2.4 2.4 1.4 1.4 2.4-2.4 2.4 2.4 1.4-1.4-2.4-2.4 2.4-2.4-1.4-1.4-2.4 2.4z"
  />
);
