/**
 * A deterministic generator of a large, realistic travel / e-commerce results
 * page: header with navigation and a search form, a filters sidebar with many
 * checkboxes, a grid of hotel cards (pictures with srcset, prices, ratings,
 * badges, long descriptions, room selects), a footer with link columns, an
 * inline <style> of a few hundred rules and inline SVG icons.
 *
 * Same seed and target size, same bytes: the only randomness is a seeded PRNG.
 *
 *   npx tsx bench/generate-page.ts [--seed 1] [--bytes 1600000] [--out file]
 *
 * writes the page to os.tmpdir()/tandem-bench/page.html unless --out is given.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prng } from './prng.js';

export { prng };

export interface PageOptions {
  /** PRNG seed. */
  seed?: number;
  /** Cards are added until the HTML reaches about this many bytes (UTF-8). */
  targetBytes?: number;
}

export interface GeneratedPage {
  html: string;
  seed: number;
  targetBytes: number;
  bytes: number;
  cards: number;
  /** Start tags in the markup, i.e. elements the parser will create (html/head/body included). */
  elements: number;
}

export const DEFAULT_SEED = 1;
export const DEFAULT_BYTES = 1_600_000;

const WORDS = (
  'quiet elegant spacious bright modern historic charming boutique riverside seaside harbour garden ' +
  'terrace rooftop panoramic sunlit cosy family friendly walkable central vibrant peaceful leafy ' +
  'breakfast buffet served daily with local pastries fresh fruit espresso bar lounge fitness centre ' +
  'heated indoor pool sauna steam room spa treatments available on request concierge desk open ' +
  'around the clock luggage storage bicycle rental airport shuttle minutes from the old town ' +
  'cathedral museum quarter main station tram stop shopping street waterfront promenade beach ' +
  'rooms feature air conditioning blackout curtains rain shower premium bedding work desk smart tv ' +
  'free high speed wifi minibar safe kettle soundproof windows balcony city view sea view ' +
  'guests love the location friendly staff spotless rooms comfortable beds great value excellent ' +
  'restaurant serving seasonal regional cuisine and an extensive wine list in a relaxed setting'
).split(' ');

const CITIES = [
  'Lisbon',
  'Porto',
  'Seville',
  'Valencia',
  'Barcelona',
  'Marseille',
  'Nice',
  'Lyon',
  'Genoa',
  'Naples',
  'Palermo',
  'Split',
  'Dubrovnik',
  'Athens',
  'Thessaloniki',
  'Valletta',
  'Bordeaux',
  'Bilbao',
  'Malaga',
  'Florence',
];
const DISTRICTS = [
  'Old Town',
  'Harbour',
  'City Centre',
  'Riverside',
  'University Quarter',
  'Beachfront',
  'Station',
  'Cathedral Quarter',
  'Market District',
  'Hillside',
  'Marina',
  'Arts District',
];
const NAMES_A = ['Grand', 'Royal', 'Casa', 'Villa', 'Palazzo', 'Hotel', 'Residence', 'Maison', 'The', 'Boutique', 'Park', 'Harbour'];
const NAMES_B = [
  'Aurora',
  'Mirador',
  'Lumen',
  'Solana',
  'Marea',
  'Olive',
  'Cypress',
  'Azul',
  'Corallo',
  'Belvedere',
  'Serena',
  'Alma',
  'Estrela',
  'Tramonto',
  'Ligne',
  'Ombra',
  'Faro',
  'Mistral',
];
const NAMES_C = ['Suites', 'Hotel', 'Inn', '& Spa', 'Rooms', 'Apartments', 'House', 'Lodge', 'Collection', ''];
const BADGES = [
  'Free cancellation',
  'Breakfast included',
  'Genius deal',
  'Only 2 left',
  'Sustainable stay',
  'Late deal',
  'New to Tandem Travel',
  'Pay at the property',
  'Airport shuttle',
  'Top rated',
];
const AMENITIES: [string, string][] = [
  ['wifi', 'Free WiFi'],
  ['pool', 'Pool'],
  ['spa', 'Spa'],
  ['parking', 'Parking'],
  ['gym', 'Fitness centre'],
  ['pet', 'Pets allowed'],
  ['bar', 'Bar'],
  ['ac', 'Air conditioning'],
  ['shuttle', 'Airport shuttle'],
  ['kitchen', 'Kitchenette'],
];
const ROOMS = [
  'Standard Double Room',
  'Superior King Room',
  'Deluxe Twin Room',
  'Junior Suite',
  'Family Room',
  'Studio with Balcony',
  'Classic Queen Room',
  'Executive Suite',
  'Economy Single Room',
];
const REVIEWERS = ['Marta', 'Jonas', 'Aisha', 'Pierre', 'Chen', 'Sofia', 'Liam', 'Noor', 'Mateo', 'Hana', 'Oskar', 'Priya'];

const ICONS: Record<string, string> = {
  star: 'M12 2l3.1 6.3 6.9 1-5 4.9 1.2 6.8L12 17.8 5.8 21l1.2-6.8-5-4.9 6.9-1z',
  pin: 'M12 2a7 7 0 00-7 7c0 5.2 7 13 7 13s7-7.8 7-13a7 7 0 00-7-7zm0 9.5A2.5 2.5 0 1112 6a2.5 2.5 0 010 5.5z',
  heart: 'M12 21s-7.5-4.6-10-9.3C.3 8.3 2.3 4 6.2 4c2.3 0 3.8 1.4 4.8 2.9C12 5.4 13.5 4 15.8 4 19.7 4 21.7 8.3 20 11.7 17.5 16.4 12 21 12 21z',
  wifi: 'M12 18a1.5 1.5 0 110 3 1.5 1.5 0 010-3zm-4.2-3.3a6 6 0 018.4 0l-1.4 1.4a4 4 0 00-5.6 0zM4.9 11.8a10 10 0 0114.2 0l-1.4 1.4a8 8 0 00-11.4 0z',
  pool: 'M2 18c2 0 2-1.5 4-1.5s2 1.5 4 1.5 2-1.5 4-1.5 2 1.5 4 1.5 2-1.5 4-1.5V20c-2 0-2 1.5-4 1.5s-2-1.5-4-1.5-2 1.5-4 1.5-2-1.5-4-1.5-2 1.5-4 1.5z',
  check: 'M9 16.2L4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4z',
  search: 'M15.5 14h-.8l-.3-.3A6.5 6.5 0 109.5 16a6.5 6.5 0 004.2-1.6l.3.3v.8l5 5 1.5-1.5zm-6 0A4.5 4.5 0 1114 9.5 4.5 4.5 0 019.5 14z',
  chevron: 'M8.6 16.6L13.2 12 8.6 7.4 10 6l6 6-6 6z',
};

export function generatePage(options: PageOptions = {}): GeneratedPage {
  const seed = options.seed ?? DEFAULT_SEED;
  const targetBytes = options.targetBytes ?? DEFAULT_BYTES;
  const rnd = prng(seed);
  const int = (min: number, max: number) => min + Math.floor(rnd() * (max - min + 1));
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  const words = (n: number) => {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(pick(WORDS));
    return out.join(' ');
  };
  const sentence = (min: number, max: number) => {
    const s = words(int(min, max));
    return s.charAt(0).toUpperCase() + s.slice(1) + '.';
  };
  const paragraph = (sentences: number) => Array.from({ length: sentences }, () => sentence(8, 22)).join(' ');
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
  const icon = (name: string, cls = 'icon') =>
    `<svg class="${cls} ${cls}-${name}" viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false"><path d="${ICONS[name]}"/></svg>`;
  const sprite = (name: string) => `<svg class="icon" width="14" height="14" aria-hidden="true"><use href="#i-${name}"></use></svg>`;

  const parts: string[] = [];
  let size = 0;
  const push = (s: string) => {
    parts.push(s);
    size += Buffer.byteLength(s);
  };

  // ---- head, with a few hundred style rules
  push(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Hotels in ${pick(CITIES)} · Tandem Travel</title>
<meta name="description" content="${esc(sentence(12, 20))}">
<link rel="icon" href="/favicon.ico">
<style>${styles(rnd)}</style>
<script type="application/ld+json">{"@context":"https://schema.org","@type":"ItemList","name":"Hotel results","numberOfItems":${int(200, 900)}}</script>
</head>
<body class="page-results theme-light">
<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>${Object.entries(ICONS)
    .map(([n, d]) => `<symbol id="i-${n}" viewBox="0 0 24 24"><path d="${d}"/></symbol>`)
    .join('')}</defs></svg>
<a class="skip-link" href="#results">Skip to results</a>
`);

  // ---- header: logo, nav with mega menus, account links, search form
  const navSections = ['Stays', 'Flights', 'Car rental', 'Attractions', 'Airport taxis', 'Packages', 'Deals', 'Business travel'];
  push(`<header class="site-header" role="banner"><div class="container header-top">
<a class="logo" href="/">${icon('pin', 'logo-mark')}<span>Tandem Travel</span></a>
<nav class="main-nav" aria-label="Main"><ul class="nav-list">${navSections
    .map(
      (s, i) => `<li class="nav-item${i === 0 ? ' is-active' : ''}"><a class="nav-link" href="/${s.toLowerCase().replace(/ /g, '-')}">${s}</a>
<div class="mega-menu" hidden><ul class="mega-col">${Array.from({ length: 12 }, () => {
        const c = pick(CITIES);
        return `<li><a href="/${s.toLowerCase().replace(/ /g, '-')}/${c.toLowerCase()}">${s} in ${c}</a></li>`;
      }).join('')}</ul></div></li>`,
    )
    .join('')}</ul></nav>
<div class="account"><a class="btn btn-ghost" href="/currency">EUR</a><a class="btn btn-ghost" href="/language">English</a><a class="btn btn-ghost" href="/help">Help</a><a class="btn btn-primary" href="/signin">Sign in</a></div>
</div>
<div class="container"><form class="search-form" role="search" action="/search" method="get">
<div class="field field-dest"><label for="dest">Where are you going?</label><input id="dest" name="dest" type="search" value="${pick(CITIES)}" autocomplete="off" placeholder="City, region or hotel"></div>
<div class="field"><label for="checkin">Check-in</label><input id="checkin" name="checkin" type="date" value="2025-0${int(1, 9)}-1${int(0, 9)}"></div>
<div class="field"><label for="checkout">Check-out</label><input id="checkout" name="checkout" type="date" value="2025-0${int(1, 9)}-2${int(0, 8)}"></div>
<div class="field"><label for="adults">Adults</label><select id="adults" name="adults">${optionList(1, 10, 2)}</select></div>
<div class="field"><label for="children">Children</label><select id="children" name="children">${optionList(0, 10, 0)}</select></div>
<div class="field"><label for="rooms">Rooms</label><select id="rooms" name="rooms">${optionList(1, 8, 1)}</select></div>
<label class="check"><input type="checkbox" name="work" value="1"> I'm travelling for work</label>
<button class="btn btn-primary btn-search" type="submit">${icon('search')}<span>Search</span></button>
</form></div></header>
<nav class="breadcrumbs container" aria-label="Breadcrumb"><ol><li><a href="/">Home</a></li><li><a href="/europe">Europe</a></li><li><a href="/europe/coast">Coast</a></li><li aria-current="page">Search results</li></ol></nav>
<div class="container layout">
`);

  // ---- filters sidebar
  const filterGroups: [string, string[]][] = [
    [
      'Popular filters',
      [
        'Free cancellation',
        'Breakfast included',
        'Hotels',
        'Very good: 8+',
        'Swimming pool',
        'Parking',
        'Sea view',
        'Pet friendly',
        'Twin beds',
        'Book without credit card',
      ],
    ],
    [
      'Property type',
      [
        'Hotels',
        'Apartments',
        'Guesthouses',
        'Hostels',
        'Bed and breakfasts',
        'Villas',
        'Holiday homes',
        'Resorts',
        'Boats',
        'Campsites',
        'Country houses',
        'Farm stays',
      ],
    ],
    ['Star rating', ['1 star', '2 stars', '3 stars', '4 stars', '5 stars', 'Unrated']],
    ['Review score', ['Wonderful: 9+', 'Very good: 8+', 'Good: 7+', 'Pleasant: 6+']],
    [
      'Facilities',
      AMENITIES.map((a) => a[1]).concat([
        'Restaurant',
        'Room service',
        '24-hour front desk',
        'Non-smoking rooms',
        'Electric vehicle charging',
        'Family rooms',
        'Wheelchair accessible',
        'Garden',
        'Terrace',
        'Sauna',
      ]),
    ],
    [
      'Room facilities',
      [
        'Private bathroom',
        'Balcony',
        'Kitchen',
        'Bath',
        'Coffee machine',
        'Sea view',
        'Washing machine',
        'Soundproofing',
        'Patio',
        'Flat-screen TV',
        'Desk',
        'Electric kettle',
      ],
    ],
    ['Neighbourhood', DISTRICTS],
    [
      'Meals',
      ['Self catering', 'Breakfast included', 'All meals included', 'All-inclusive', 'Breakfast & dinner included', 'Kitchen facilities'],
    ],
    ['Chains and brands', NAMES_B.map((b) => `${b} Hotels`)],
    ['Distance from centre', ['Less than 1 km', 'Less than 3 km', 'Less than 5 km']],
    ['Bed preference', ['Twin beds', 'Double bed', 'King bed', 'Sofa bed']],
    [
      'Accessibility',
      [
        'Toilet with grab rails',
        'Raised toilet',
        'Lower sink',
        'Emergency cord in bathroom',
        'Visual aids',
        'Auditory guidance',
        'Step-free access',
        'Roll-in shower',
      ],
    ],
    ['Sustainability', ['Travel Sustainable Level 1', 'Travel Sustainable Level 2', 'Travel Sustainable Level 3+', 'Certified']],
    [
      'Fun things to do',
      [
        'Hiking',
        'Cycling',
        'Snorkelling',
        'Diving',
        'Windsurfing',
        'Canoeing',
        'Fishing',
        'Golf course',
        'Tennis court',
        'Wine tasting',
        'Cooking class',
        'Live music',
      ],
    ],
  ];
  let fid = 0;
  push(`<aside class="filters" aria-label="Filters"><h2 class="filters-title">Filter by</h2>
<section class="filter-group filter-budget"><h3>Your budget (per night)</h3><div class="range"><label>Min <input type="number" name="min" value="${int(20, 80)}" min="0" step="10"></label><label>Max <input type="number" name="max" value="${int(300, 900)}" min="0" step="10"></label></div>
<div class="histogram">${Array.from({ length: 40 }, () => `<span class="bar" style="height:${int(4, 60)}px"></span>`).join('')}</div></section>
${filterGroups
  .map(
    ([title, items]) =>
      `<section class="filter-group"><h3>${title}</h3><ul class="filter-list">${items
        .map((label) => {
          const id = `f${fid++}`;
          return `<li class="filter-item"><input type="checkbox" id="${id}" name="nflt" value="${esc(label.toLowerCase().replace(/[^a-z0-9]+/g, '-'))}"${rnd() < 0.08 ? ' checked' : ''}><label for="${id}"><span class="filter-label">${esc(label)}</span><span class="filter-count">${int(3, 480)}</span></label></li>`;
        })
        .join('')}</ul><button type="button" class="link-button">Show all ${items.length + int(3, 40)}</button></section>`,
  )
  .join('\n')}
</aside>
<main id="results" class="results"><div class="results-head"><h1>${pick(CITIES)}: ${int(200, 900)} properties found</h1>
<div class="toolbar"><label for="sort">Sort by</label><select id="sort" name="order"><option value="popularity" selected>Our top picks</option><option value="price">Price (lowest first)</option><option value="price_desc">Price (highest first)</option><option value="score">Review score</option><option value="distance">Distance from centre</option><option value="stars">Stars (highest first)</option></select>
<div class="view-toggle" role="group"><button type="button" aria-pressed="true">List</button><button type="button" aria-pressed="false">Grid</button><button type="button" aria-pressed="false">Map</button></div></div>
<div class="notice">${icon('check')}<p>${sentence(14, 24)}</p></div></div>
<div class="card-grid">
`);

  // The footer's size is known in advance so cards stop at the target.
  const footer = footerHtml();
  const footerBytes = Buffer.byteLength(footer);

  // ---- cards until the page reaches the target size
  let cards = 0;
  while (size + footerBytes < targetBytes) push(card(cards++));

  push(`</div>
<nav class="pagination" aria-label="Pages"><a class="prev" href="?page=0" aria-disabled="true">Previous</a>${Array.from({ length: 10 }, (_, i) => `<a href="?page=${i + 1}"${i === 0 ? ' aria-current="page"' : ''}>${i + 1}</a>`).join('')}<a class="next" href="?page=2">Next</a></nav>
</main></div>
`);
  push(footer);

  const html = parts.join('');
  const elements = (html.match(/<[a-zA-Z][a-zA-Z0-9-]*/g) ?? []).length;
  return { html, seed, targetBytes, bytes: Buffer.byteLength(html), cards, elements };

  function optionList(min: number, max: number, selected: number): string {
    let s = '';
    for (let v = min; v <= max; v++) s += `<option value="${v}"${v === selected ? ' selected' : ''}>${v}</option>`;
    return s;
  }

  function card(i: number): string {
    const id = 10_000 + i * 7 + int(0, 6);
    const city = pick(CITIES);
    const name = `${pick(NAMES_A)} ${pick(NAMES_B)} ${pick(NAMES_C)}`.trim();
    const stars = int(2, 5);
    const score = (6 + rnd() * 4).toFixed(1);
    const reviews = int(12, 9_800);
    const price = int(45, 620);
    const old = rnd() < 0.4 ? price + int(10, 200) : 0;
    const img = (w: number) => `/img/hotels/${id}-${w}.jpg`;
    const badges = Array.from({ length: int(0, 3) }, () => `<span class="badge badge-${int(1, 4)}">${pick(BADGES)}</span>`).join('');
    const amenities = Array.from(new Set(Array.from({ length: int(3, 7) }, () => pick(AMENITIES))))
      .map(([k, label]) => `<li class="amenity amenity-${k}">${sprite(k in ICONS ? k : 'check')}<span>${label}</span></li>`)
      .join('');
    const rooms = Array.from({ length: int(1, 3) }, (_, r) => {
      const roomPrice = price + r * int(15, 90);
      return `<li class="room"><div class="room-info"><h4>${pick(ROOMS)}</h4><p class="beds">${int(1, 2)} ${pick(['double', 'king', 'queen', 'twin', 'single'])} bed${rnd() < 0.5 ? 's' : ''} · ${int(14, 60)} m²</p>
<ul class="room-perks"><li>${sprite('check')}${pick(['Free cancellation before 3 days', 'No prepayment needed', 'Non-refundable', 'Pay at the property'])}</li><li>${sprite('check')}${pick(['Breakfast €12', 'Breakfast included', 'Half board available', 'Room only'])}</li></ul></div>
<div class="room-price"><span class="amount">€${roomPrice}</span><label class="sr-only" for="q${id}-${r}">Rooms</label><select id="q${id}-${r}" name="qty_${id}_${r}">${optionList(0, 5, 0)}</select></div></li>`;
    }).join('');
    const review = `<blockquote class="review-snippet"><p>“${sentence(10, 26)} ${sentence(6, 18)}”</p><footer><span class="avatar" aria-hidden="true">${pick(REVIEWERS).charAt(0)}</span><cite>${pick(REVIEWERS)}</cite>, ${pick(['Germany', 'France', 'Spain', 'Japan', 'Canada', 'Brazil', 'Italy', 'India', 'Sweden'])}</footer></blockquote>`;
    return `<article class="card hotel-card${i % 9 === 0 ? ' is-featured' : ''}" data-hotel-id="${id}" data-position="${i + 1}" data-price="${price}" itemscope itemtype="https://schema.org/Hotel">
<div class="card-media"><a href="/hotel/${id}" tabindex="-1"><picture><source type="image/webp" srcset="${img(320).replace('.jpg', '.webp')} 320w, ${img(640).replace('.jpg', '.webp')} 640w, ${img(960).replace('.jpg', '.webp')} 960w" sizes="(max-width: 700px) 100vw, 280px"><img src="${img(640)}" srcset="${img(320)} 320w, ${img(640)} 640w, ${img(960)} 960w" sizes="(max-width: 700px) 100vw, 280px" width="280" height="210" alt="${esc(name)}, ${city}" loading="${i < 6 ? 'eager' : 'lazy'}" decoding="async"></picture></a>
<button type="button" class="fav" aria-label="Save ${esc(name)}" aria-pressed="false">${icon('heart')}</button>${badges ? `<div class="badges">${badges}</div>` : ''}</div>
<div class="card-body"><header class="card-head"><h3 class="card-title" itemprop="name"><a href="/hotel/${id}">${esc(name)}</a></h3>
<div class="stars" aria-label="${stars} out of 5 stars">${Array.from({ length: stars }, () => icon('star', 'star')).join('')}</div>
<p class="location">${sprite('pin')}<a href="/map?hotel=${id}">${pick(DISTRICTS)}, ${city}</a><span class="distance">${(rnd() * 6).toFixed(1)} km from centre</span></p></header>
<div class="rating" title="Scored ${score}"><span class="score">${score}</span><span class="score-word">${Number(score) >= 9 ? 'Wonderful' : Number(score) >= 8 ? 'Very good' : Number(score) >= 7 ? 'Good' : 'Pleasant'}</span><span class="reviews">${reviews.toLocaleString('en-US')} reviews</span>
<div class="subscores">${['Staff', 'Cleanliness', 'Location', 'Comfort', 'Value for money'].map((s) => `<span class="subscore" style="--w:${int(60, 100)}%">${s} ${(6 + rnd() * 4).toFixed(1)}</span>`).join('')}</div></div>
<ul class="amenities">${amenities}</ul>
<div class="description"><p>${paragraph(int(4, 8))}</p><p>${paragraph(int(4, 8))}</p><details><summary>Read more</summary><p>${paragraph(int(5, 10))}</p><p>${paragraph(int(4, 8))}</p></details></div>
${review}
<ul class="rooms">${rooms}</ul></div>
<div class="card-price"><p class="nights">${int(1, 14)} nights, ${int(1, 4)} adults</p>${old ? `<s class="old-price">€${old}</s>` : ''}<p class="price" itemprop="priceRange">€${price}</p><p class="taxes">+€${int(5, 90)} taxes and charges</p>
<a class="btn btn-primary" href="/hotel/${id}?checkin=2025-06-10">See availability ${icon('chevron')}</a></div>
</article>
`;
  }

  function footerHtml(): string {
    const cols = ['Support', 'Discover', 'Terms and settings', 'Partners', 'About', 'Destinations'];
    return `<footer class="site-footer"><div class="container">
<form class="newsletter" action="/newsletter" method="post"><h2>Save time, save money!</h2><p>Sign up and we'll send the best deals to you</p><label class="sr-only" for="nl-email">Email</label><input id="nl-email" name="email" type="email" placeholder="Your email address" autocomplete="email"><button class="btn btn-primary" type="submit">Subscribe</button><label class="check"><input type="checkbox" name="app" value="1"> Send me a link to get the FREE app</label></form>
<div class="footer-cols">${cols
      .map(
        (c) =>
          `<section class="footer-col"><h3>${c}</h3><ul>${Array.from({ length: 14 }, () => {
            const w = words(int(2, 4));
            return `<li><a href="/${c.toLowerCase().replace(/ /g, '-')}/${w.replace(/ /g, '-')}">${w.charAt(0).toUpperCase() + w.slice(1)}</a></li>`;
          }).join('')}</ul></section>`,
      )
      .join('')}</div>
<div class="legal"><p>${paragraph(3)}</p><p>Copyright © 1996–2025 Tandem Travel™. All rights reserved.</p></div>
</div></footer>
</body>
</html>
`;
  }
}

/** A few hundred CSS rules: components, utilities and media queries. */
function styles(rnd: () => number): string {
  const int = (min: number, max: number) => min + Math.floor(rnd() * (max - min + 1));
  const color = () => `#${int(0, 0xffffff).toString(16).padStart(6, '0')}`;
  const rules: string[] = [
    ':root{--brand:#0b5fff;--ink:#1a1a2e;--muted:#6b7280;--bg:#f5f7fb;--radius:8px}',
    '*,*::before,*::after{box-sizing:border-box}',
    'body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}',
    'a{color:var(--brand);text-decoration:none}a:hover{text-decoration:underline}',
    '.container{max-width:1240px;margin:0 auto;padding:0 16px}',
    '.skip-link{position:absolute;left:-999px}.skip-link:focus{left:8px;top:8px}',
    '.site-header{background:#003580;color:#fff;padding-bottom:24px}',
    '.header-top{display:flex;align-items:center;gap:24px;min-height:64px}',
    '.logo{display:flex;gap:8px;align-items:center;color:#fff;font-weight:700;font-size:20px}',
    '.logo-mark{width:28px;height:28px;fill:#febb02}',
    '.nav-list{display:flex;gap:4px;list-style:none;margin:0;padding:0}',
    '.nav-link{display:block;padding:8px 12px;border-radius:20px;color:#fff}',
    '.nav-item.is-active .nav-link{border:1px solid #fff}',
    '.mega-menu{position:absolute;background:#fff;box-shadow:0 4px 16px rgba(0,0,0,.2)}',
    '.account{margin-left:auto;display:flex;gap:8px}',
    '.btn{display:inline-flex;align-items:center;gap:6px;padding:8px 14px;border-radius:4px;border:1px solid transparent;font:inherit;cursor:pointer}',
    '.btn-primary{background:var(--brand);color:#fff}.btn-ghost{color:#fff}',
    '.search-form{display:grid;grid-template-columns:2fr 1fr 1fr repeat(3,80px) auto auto;gap:4px;background:#febb02;padding:4px;border-radius:8px;align-items:end}',
    '.search-form .field{display:flex;flex-direction:column;background:#fff;padding:6px 8px;border-radius:4px}',
    '.search-form label{font-size:12px;color:var(--muted)}',
    '.search-form input,.search-form select{border:0;font:inherit;padding:2px 0}',
    '.check{display:flex;gap:6px;align-items:center;font-size:13px}',
    '.breadcrumbs ol{display:flex;gap:8px;list-style:none;padding:12px 0;margin:0;font-size:13px}',
    '.breadcrumbs li+li::before{content:"›";margin-right:8px;color:var(--muted)}',
    '.layout{display:grid;grid-template-columns:260px 1fr;gap:24px;align-items:start}',
    '.filters{background:#fff;border:1px solid #e2e5ea;border-radius:var(--radius)}',
    '.filters-title{font-size:16px;margin:0;padding:12px;border-bottom:1px solid #e2e5ea}',
    '.filter-group{padding:12px;border-bottom:1px solid #e2e5ea}',
    '.filter-group h3{font-size:14px;margin:0 0 8px}',
    '.filter-list{list-style:none;margin:0;padding:0}',
    '.filter-item{display:flex;gap:8px;align-items:flex-start;padding:3px 0}',
    '.filter-item label{display:flex;justify-content:space-between;flex:1;font-size:14px}',
    '.filter-count{color:var(--muted);font-size:12px}',
    '.histogram{display:flex;align-items:flex-end;gap:1px;height:60px}.histogram .bar{flex:1;background:#c4d4f5}',
    '.range{display:flex;gap:8px}.range input{width:80px}',
    '.link-button{background:none;border:0;color:var(--brand);padding:4px 0;cursor:pointer}',
    '.results-head h1{font-size:24px;margin:0 0 12px}',
    '.toolbar{display:flex;gap:12px;align-items:center;margin-bottom:12px}',
    '.view-toggle{margin-left:auto;display:flex}.view-toggle button[aria-pressed=true]{background:#e8f0ff}',
    '.notice{display:flex;gap:8px;padding:12px;background:#fff8e1;border-radius:var(--radius);margin-bottom:12px}',
    '.card-grid{display:flex;flex-direction:column;gap:16px}',
    '.card{display:grid;grid-template-columns:280px 1fr 200px;gap:16px;background:#fff;border:1px solid #e2e5ea;border-radius:var(--radius);padding:16px;position:relative}',
    '.card.is-featured{border-color:#febb02;box-shadow:0 0 0 2px #febb0244}',
    '.card-media{position:relative}.card-media img{width:100%;height:auto;aspect-ratio:4/3;object-fit:cover;border-radius:var(--radius);background:#dde3ec}',
    '.fav{position:absolute;top:8px;right:8px;border:0;background:#fff;border-radius:50%;width:32px;height:32px}',
    '.badges{position:absolute;left:8px;bottom:8px;display:flex;flex-wrap:wrap;gap:4px}',
    '.badge{font-size:11px;padding:2px 6px;border-radius:4px;background:#008009;color:#fff}',
    '.card-title{font-size:18px;margin:0}',
    '.stars{display:inline-flex;gap:1px}.star{width:12px;height:12px;fill:#febb02}',
    '.location{font-size:13px;display:flex;gap:6px;align-items:center;margin:4px 0}.distance{color:var(--muted)}',
    '.rating{display:flex;flex-wrap:wrap;gap:8px;align-items:center;font-size:13px}',
    '.score{background:#003580;color:#fff;font-weight:700;padding:4px 6px;border-radius:6px 6px 6px 0}',
    '.subscores{display:flex;gap:12px;width:100%}.subscore{display:flex;flex-direction:column;flex:1;font-size:12px}',
    '.subscore::after{content:"";display:block;height:4px;width:var(--w);background:#003580;border-radius:2px}',
    '.amenities{display:flex;flex-wrap:wrap;gap:6px 12px;list-style:none;padding:0;margin:8px 0;font-size:13px}',
    '.amenity{display:flex;gap:4px;align-items:center}',
    '.icon{width:14px;height:14px;fill:currentColor;vertical-align:middle}',
    '.description{font-size:14px;color:#333}.description p{margin:6px 0}',
    '.review-snippet{margin:8px 0;padding:8px 12px;border-left:3px solid #e2e5ea;font-size:13px;font-style:italic}',
    '.avatar{display:inline-flex;width:20px;height:20px;border-radius:50%;background:#7c3aed;color:#fff;align-items:center;justify-content:center;font-style:normal;margin-right:6px}',
    '.rooms{list-style:none;padding:0;margin:8px 0 0}',
    '.room{display:flex;justify-content:space-between;gap:12px;padding:8px 0;border-top:1px solid #eef0f3}',
    '.room h4{margin:0;font-size:14px}.beds{margin:2px 0;font-size:12px;color:var(--muted)}',
    '.room-perks{list-style:none;padding:0;margin:0;font-size:12px;color:#008009}',
    '.room-price{display:flex;flex-direction:column;align-items:flex-end;gap:4px}',
    '.card-price{text-align:right;display:flex;flex-direction:column;justify-content:flex-end}',
    '.old-price{color:#c00;font-size:13px}.price{font-size:24px;font-weight:700;margin:0}',
    '.nights,.taxes{font-size:12px;color:var(--muted);margin:2px 0}',
    '.pagination{display:flex;gap:4px;justify-content:center;padding:24px 0}',
    '.pagination a{padding:6px 10px;border-radius:4px}.pagination a[aria-current]{background:var(--brand);color:#fff}',
    '.site-footer{background:#fff;margin-top:32px;padding:24px 0;border-top:1px solid #e2e5ea}',
    '.newsletter{background:#00224f;color:#fff;padding:24px;border-radius:var(--radius);display:flex;flex-wrap:wrap;gap:12px;align-items:center}',
    '.footer-cols{display:grid;grid-template-columns:repeat(6,1fr);gap:16px;margin-top:24px}',
    '.footer-col h3{font-size:14px}.footer-col ul{list-style:none;padding:0;margin:0;font-size:13px}.footer-col li{padding:2px 0}',
    '.legal{font-size:12px;color:var(--muted);margin-top:24px}',
    '.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}',
    'details summary{cursor:pointer;color:var(--brand)}',
  ];
  // Utilities, as a CSS framework would ship them (most unused on this page, as usual).
  const props: [string, string, string[]][] = [
    ['m', 'margin', ['0', '4px', '8px', '12px', '16px', '24px', '32px']],
    ['p', 'padding', ['0', '4px', '8px', '12px', '16px', '24px', '32px']],
    ['mt', 'margin-top', ['0', '4px', '8px', '16px', '24px']],
    ['mb', 'margin-bottom', ['0', '4px', '8px', '16px', '24px']],
    ['fs', 'font-size', ['11px', '12px', '13px', '14px', '16px', '18px', '20px', '24px', '32px']],
    ['fw', 'font-weight', ['300', '400', '500', '600', '700']],
    ['d', 'display', ['none', 'block', 'inline', 'inline-block', 'flex', 'grid', 'contents']],
    ['gap', 'gap', ['0', '4px', '8px', '12px', '16px', '24px']],
    ['w', 'width', ['auto', '25%', '33%', '50%', '66%', '75%', '100%']],
    ['ta', 'text-align', ['left', 'center', 'right', 'justify']],
    ['rounded', 'border-radius', ['0', '2px', '4px', '8px', '16px', '9999px']],
    ['z', 'z-index', ['0', '1', '10', '100', '1000']],
  ];
  for (const [short, prop, values] of props) values.forEach((v, i) => rules.push(`.${short}-${i}{${prop}:${v}}`));
  for (let i = 0; i < 60; i++) rules.push(`.text-c${i}{color:${color()}}.bg-c${i}{background-color:${color()}}`);
  for (let i = 0; i < 40; i++) rules.push(`.promo-${i} .badge,.promo-${i} .price{color:${color()};border-color:${color()}}`);
  rules.push(
    '@media (max-width:1024px){.layout{grid-template-columns:1fr}.filters{display:none}.card{grid-template-columns:200px 1fr}.card-price{grid-column:1/-1}}',
    '@media (max-width:700px){.card{grid-template-columns:1fr}.search-form{grid-template-columns:1fr}.footer-cols{grid-template-columns:repeat(2,1fr)}.nav-list{display:none}}',
    '@media (prefers-reduced-motion:reduce){*{transition:none!important;animation:none!important}}',
    '@media print{.site-header,.filters,.site-footer{display:none}}',
  );
  return rules.join('\n');
}

// CLI: write the page to a file under the OS temp directory.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const page = generatePage({ seed: Number(arg('--seed') ?? DEFAULT_SEED), targetBytes: Number(arg('--bytes') ?? DEFAULT_BYTES) });
  const out = arg('--out') ?? join(tmpdir(), 'tandem-bench', 'page.html');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, page.html);
  console.log(`wrote ${out}: ${page.bytes} bytes, ${page.cards} cards, ~${page.elements} elements (seed ${page.seed})`);
}
