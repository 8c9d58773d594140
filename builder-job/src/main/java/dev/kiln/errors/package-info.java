/**
 * The failures a user can act on, one class per kind ({@link dev.kiln.errors.KilnException}
 * and its subclasses), thrown by the build stages, the storage layer, the tools and the Faiss
 * code. They carry no exit code: {@code dev.kiln.cli.ExitCodes} maps each kind to one.
 *
 * <p>May import: the JDK only; every other package of builder-job may import it.
 */
package dev.kiln.errors;
