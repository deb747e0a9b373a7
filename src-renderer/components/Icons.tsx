/** Small line icons (16 px, currentColor), decorative: every control also has a text label. */
import type { ReactNode } from 'react';

function Icon({ children, size = 16 }: { children: ReactNode; size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth={1.8} strokeLinecap="round" strokeLinejoin="round" aria-hidden="true" focusable="false">
      {children}
    </svg>
  );
}

export const LogoIcon = () => (
  <Icon size={22}>
    <circle cx="12" cy="12" r="9" />
    <circle cx="12" cy="12" r="4.5" />
    <path d="M12 3v4.5M12 16.5V21M3 12h4.5M16.5 12H21" />
  </Icon>
);
export const OverviewIcon = () => <Icon><rect x="3" y="3" width="7" height="9" rx="1.5" /><rect x="14" y="3" width="7" height="5" rx="1.5" /><rect x="14" y="12" width="7" height="9" rx="1.5" /><rect x="3" y="16" width="7" height="5" rx="1.5" /></Icon>;
export const ConnectionsIcon = () => <Icon><path d="M4 7h13M13 3l4 4-4 4M20 17H7M11 13l-4 4 4 4" /></Icon>;
export const TrafficIcon = () => <Icon><path d="M3 20h18M6 16l4-6 4 3 5-8" /></Icon>;
export const LogsIcon = () => <Icon><path d="M8 6h12M8 12h12M8 18h12M4 6h.01M4 12h.01M4 18h.01" /></Icon>;
export const ProfilesIcon = () => <Icon><path d="M14 3H7a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V8z" /><path d="M14 3v5h5M9 13h6M9 17h4" /></Icon>;
export const SettingsIcon = () => <Icon><circle cx="12" cy="12" r="3" /><path d="M19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1a1.7 1.7 0 0 0-1.8-.3 1.7 1.7 0 0 0-1 1.5V21a2 2 0 1 1-4 0v-.1a1.7 1.7 0 0 0-1.1-1.5 1.7 1.7 0 0 0-1.8.3l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1a1.7 1.7 0 0 0 .3-1.8 1.7 1.7 0 0 0-1.5-1H3a2 2 0 1 1 0-4h.1a1.7 1.7 0 0 0 1.5-1.1 1.7 1.7 0 0 0-.3-1.8l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1a1.7 1.7 0 0 0 1.8.3H9a1.7 1.7 0 0 0 1-1.5V3a2 2 0 1 1 4 0v.1a1.7 1.7 0 0 0 1 1.5 1.7 1.7 0 0 0 1.8-.3l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0-.3 1.8V9a1.7 1.7 0 0 0 1.5 1H21a2 2 0 1 1 0 4h-.1a1.7 1.7 0 0 0-1.5 1z" /></Icon>;
export const UpIcon = () => <Icon size={14}><path d="M12 19V5M5 12l7-7 7 7" /></Icon>;
export const DownIcon = () => <Icon size={14}><path d="M12 5v14M19 12l-7 7-7-7" /></Icon>;
export const SearchIcon = () => <Icon size={14}><circle cx="11" cy="11" r="7" /><path d="m20 20-3.5-3.5" /></Icon>;
export const CloseIcon = () => <Icon size={14}><path d="M18 6 6 18M6 6l12 12" /></Icon>;
export const PlayIcon = () => <Icon size={14}><path d="M7 4v16l13-8z" /></Icon>;
export const StopIcon = () => <Icon size={14}><rect x="6" y="6" width="12" height="12" rx="1.5" /></Icon>;
export const PauseIcon = () => <Icon size={14}><path d="M9 5v14M15 5v14" /></Icon>;
export const SunIcon = () => <Icon size={15}><circle cx="12" cy="12" r="4" /><path d="M12 2v2M12 20v2M4.9 4.9l1.4 1.4M17.7 17.7l1.4 1.4M2 12h2M20 12h2M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4" /></Icon>;
export const MoonIcon = () => <Icon size={15}><path d="M21 12.8A9 9 0 1 1 11.2 3a7 7 0 0 0 9.8 9.8z" /></Icon>;
export const UploadIcon = () => <Icon size={14}><path d="M12 16V4M7 9l5-5 5 5M4 20h16" /></Icon>;
export const DownloadIcon = () => <Icon size={14}><path d="M12 4v12M7 11l5 5 5-5M4 20h16" /></Icon>;
export const PlusIcon = () => <Icon size={14}><path d="M12 5v14M5 12h14" /></Icon>;
export const CheckIcon = () => <Icon size={14}><path d="M20 6 9 17l-5-5" /></Icon>;
export const AlertIcon = () => <Icon size={14}><circle cx="12" cy="12" r="9" /><path d="M12 8v5M12 16h.01" /></Icon>;
export const PlugIcon = () => <Icon size={28}><path d="M9 7V3M15 7V3M7 7h10v4a5 5 0 0 1-10 0zM12 16v5" /></Icon>;
export const InboxIcon = () => <Icon size={28}><path d="M22 12h-6l-2 3h-4l-2-3H2" /><path d="M5.5 5h13L22 12v6a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2v-6z" /></Icon>;
export const ExposuresIcon = () => <Icon><circle cx="12" cy="12" r="9" /><path d="M3 12h18M12 3a14 14 0 0 1 0 18M12 3a14 14 0 0 0 0 18" /></Icon>;
export const GlobeIcon = ({ small = false }: { small?: boolean }) => <Icon size={small ? 14 : 28}><circle cx="12" cy="12" r="9" /><path d="M3 12h18M12 3a14 14 0 0 1 0 18M12 3a14 14 0 0 0 0 18" /></Icon>;
export const CopyIcon = () => <Icon size={14}><rect x="9" y="9" width="11" height="11" rx="2" /><path d="M5 15H4a1 1 0 0 1-1-1V4a1 1 0 0 1 1-1h10a1 1 0 0 1 1 1v1" /></Icon>;
export const TrashIcon = () => <Icon size={14}><path d="M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3" /></Icon>;
export const ServerIcon = () => <Icon size={14}><rect x="3" y="4" width="18" height="7" rx="1.5" /><rect x="3" y="13" width="18" height="7" rx="1.5" /><path d="M7 7.5h.01M7 16.5h.01" /></Icon>;
export const ExternalIcon = () => <Icon size={14}><path d="M14 4h6v6M20 4l-9 9M18 14v5a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h5" /></Icon>;
