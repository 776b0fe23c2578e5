#include "common.h"
static size_t NPG=262144;
int main(int argc,char**argv){ int shm=argc>1;
  char *src=mmap(NULL,NPG*PG,PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0); memset(src,7,NPG*PG);
  for(int rep=0;rep<3;rep++){
  char *d; if(shm){int fd2=memfd_create("dst",MFD_CLOEXEC); ftruncate(fd2,NPG*PG); d=mmap(NULL,NPG*PG,PROT_READ|PROT_WRITE,MAP_SHARED,fd2,0); close(fd2);}
  else d=mmap(NULL,NPG*PG,PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0);
  madvise(d,NPG*PG,MADV_NOHUGEPAGE);
  int u2=uffd_open(O_CLOEXEC|O_NONBLOCK); if(uffd_api(u2,0,NULL,NULL)) DIE("api2");
  struct uffdio_register r2={.range={(uint64_t)d,NPG*PG},.mode=UFFDIO_REGISTER_MODE_MISSING};
  if(ioctl(u2,UFFDIO_REGISTER,&r2)) DIE("reg");
  double t0=now_s(); for(size_t i=0;i<NPG;i+=64){ struct uffdio_copy c={.dst=(uint64_t)d+i*PG,.src=(uint64_t)src+i*PG,.len=64*PG}; if(ioctl(u2,UFFDIO_COPY,&c)) DIE("copy");}
  printf("%s copy64: %.0f pages/s\n",shm?"memfd":"anon",NPG/(now_s()-t0)); munmap(d,NPG*PG); close(u2);}
}
