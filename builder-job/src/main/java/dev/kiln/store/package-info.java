/**
 * Index roots on any Hadoop file system: staging a version, committing it to
 * {@code versions/ID}, promoting {@code LATEST} ({@code IndexRoot}); replacing a file through a
 * temporary one and a rename, the one such implementation ({@code AtomicFile}); copying a
 * published version to a local root, verifying every byte against its manifest
 * ({@code VersionCopy}).
 *
 * <p>May import: {@code dev.kiln.errors}, {@code dev.kiln.format}, {@code dev.kiln.search} (to open a
 * copy as the loader does) and Hadoop; not {@code dev.kiln.cli} or the build stages, which use
 * it.
 */
package dev.kiln.store;
