import { type SVGProps, useId } from 'react';

const base = (props: SVGProps<SVGSVGElement>) => ({
  width: 14,
  height: 14,
  viewBox: '0 0 16 16',
  fill: 'none',
  stroke: 'currentColor',
  strokeWidth: 1.5,
  strokeLinecap: 'round' as const,
  strokeLinejoin: 'round' as const,
  'aria-hidden': true,
  ...props,
});

export const CopyIcon = (p: SVGProps<SVGSVGElement>) => (
  <svg {...base(p)}>
    <rect x="5.5" y="5.5" width="8" height="8" rx="1.5" />
    <path d="M10.5 5.5V3.5a1 1 0 0 0-1-1h-6a1 1 0 0 0-1 1v6a1 1 0 0 0 1 1h2" />
  </svg>
);

export const CheckIcon = (p: SVGProps<SVGSVGElement>) => (
  <svg {...base(p)}>
    <path d="M3 8.5l3 3 7-7" />
  </svg>
);

export const SearchIcon = (p: SVGProps<SVGSVGElement>) => (
  <svg {...base(p)}>
    <circle cx="7" cy="7" r="4.5" />
    <path d="M10.5 10.5L14 14" />
  </svg>
);

export const ChevronIcon = (p: SVGProps<SVGSVGElement>) => (
  <svg {...base({ width: 10, height: 10, ...p })}>
    <path d="M6 4l4 4-4 4" />
  </svg>
);

export const ArrowUpIcon = (p: SVGProps<SVGSVGElement>) => (
  <svg {...base({ width: 12, height: 12, ...p })}>
    <path d="M8 13V3M3.5 7.5L8 3l4.5 4.5" />
  </svg>
);

export const InboxIcon = (p: SVGProps<SVGSVGElement>) => (
  <svg {...base(p)}>
    <path d="M2 9.5l1.8-5.2A1 1 0 0 1 4.7 3.6h6.6a1 1 0 0 1 .9.7L14 9.5V12a1 1 0 0 1-1 1H3a1 1 0 0 1-1-1z" />
    <path d="M2 9.5h3.5l1 1.5h3l1-1.5H14" />
  </svg>
);

export const LayersIcon = (p: SVGProps<SVGSVGElement>) => (
  <svg {...base(p)}>
    <path d="M8 2l6 3.2-6 3.2-6-3.2z" />
    <path d="M2 8.2l6 3.2 6-3.2M2 11l6 3.2 6-3.2" />
  </svg>
);

export const LinkIcon = (p: SVGProps<SVGSVGElement>) => (
  <svg {...base(p)}>
    <path d="M6.5 9.5l3-3M7 4.5l1-1a2.8 2.8 0 0 1 4 4l-1 1M9 11.5l-1 1a2.8 2.8 0 0 1-4-4l1-1" />
  </svg>
);

/** The app mark (same drawing as icons/icon.svg). */
export function LogoMark(p: SVGProps<SVGSVGElement>) {
  const id = useId();
  return (
    <svg width={22} height={22} viewBox="32 32 960 960" aria-hidden {...p}>
      <defs>
        <linearGradient id={`${id}bg`} x1="0" y1="0" x2="1" y2="1">
          <stop offset="0" stopColor="#7b6cff" />
          <stop offset="0.55" stopColor="#4b3bd6" />
          <stop offset="1" stopColor="#231a7a" />
        </linearGradient>
      </defs>
      <rect x="32" y="32" width="960" height="960" rx="216" fill={`url(#${id}bg)`} />
      <circle cx="452" cy="446" r="252" fill="#ffffff" fillOpacity="0.09" stroke="#ffffff" strokeWidth="76" />
      <path d="M646 640 L792 786" stroke="#ffffff" strokeWidth="112" strokeLinecap="round" />
      <g transform="translate(26 30)" stroke="#7ef0c8" fill="none">
        <circle cx="482" cy="290" r="30" strokeWidth="40" />
        <path d="M482 322 V472 A104 104 0 0 1 274 472 V430" strokeWidth="60" strokeLinecap="round" />
        <path d="M274 330 L318 438 L290 426 L290 450 L244 450 L244 420 Z" fill="#7ef0c8" strokeWidth="14" strokeLinejoin="round" />
      </g>
    </svg>
  );
}
