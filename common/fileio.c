/* fileio.c: whole-file reading, atomic durable writes, mkdir -p (see fileio.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "llmbo_common.h"
#include "fileio.h"

char *llmbo_read_file(const char *path, size_t *len, llmbo_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        llmbo_error_set(err, LLMBO_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = llmbo_malloc(cap, 1);
    while (buf) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n + 1 < cap)
            break; /* a short read: end of file or an error (ferror below) */
        char *nb = llmbo_realloc(buf, cap, 2);
        if (!nb) {
            llmbo_free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf) {
        llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory reading the file", path);
        return NULL;
    }
    if (bad) {
        llmbo_free(buf);
        llmbo_error_set(err, LLMBO_ERR_IO, "%s: read error", path);
        return NULL;
    }
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

/* fsync of the directory holding path, so a rename into it survives a crash. Best effort: not
 * every file system can sync a directory. */
static void fsync_dir_of(const char *path)
{
    char *dir = llmbo_strdup(path);
    if (!dir)
        return;
    char *slash = strrchr(dir, '/');
    const char *d = dir;
    if (slash == dir)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        d = ".";
    int fd = open(d, O_RDONLY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    llmbo_free(dir);
}

llmbo_status llmbo_write_file_atomic(const char *path, const char *text, llmbo_error *err)
{
    size_t plen = strlen(path) + 32;
    char *tmp = llmbo_malloc(plen, 1);
    if (!tmp)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory", path);
    snprintf(tmp, plen, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        llmbo_status st =
            llmbo_error_set(err, LLMBO_ERR_IO, "%s: cannot create: %s", tmp, strerror(errno));
        llmbo_free(tmp);
        return st;
    }
    size_t n = strlen(text);
    int bad = fwrite(text, 1, n, f) != n;
    bad |= fflush(f) != 0;
    bad |= fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        llmbo_status st =
            llmbo_error_set(err, LLMBO_ERR_IO, "%s: write failed: %s", path, strerror(errno));
        remove(tmp);
        llmbo_free(tmp);
        return st;
    }
    llmbo_free(tmp);
    fsync_dir_of(path);
    return LLMBO_OK;
}

llmbo_status llmbo_mkdir_p(const char *path, llmbo_error *err)
{
    char *p = llmbo_strdup(path);
    if (!p)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory", path);
    for (char *s = p + (p[0] != '\0');; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            llmbo_status st = llmbo_error_set(err, LLMBO_ERR_IO, "%s: cannot create directory: %s",
                                              p, strerror(errno));
            llmbo_free(p);
            return st;
        }
        *s = c;
        if (c == '\0')
            break;
    }
    llmbo_free(p);
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return llmbo_error_set(err, LLMBO_ERR_IO, "%s: not a directory", path);
    return LLMBO_OK;
}

int llmbo_path_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}
