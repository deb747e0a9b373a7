/** The Inspector's nav icon: a magnifier over lines (16 px, currentColor, decorative like the others). */
export function InspectorIcon() {
  return (
    <svg width={16} height={16} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth={1.8} strokeLinecap="round" strokeLinejoin="round" aria-hidden="true" focusable="false">
      <path d="M4 6h9M4 11h5M4 16h4" />
      <circle cx="15.5" cy="14.5" r="4" />
      <path d="m18.5 17.5 3 3" />
    </svg>
  );
}
