/** Vite bundles stylesheets imported for their side effect; they have no exports. */
declare module '*.css';
