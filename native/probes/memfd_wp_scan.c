#include "common.h"
#include <sys/mman.h>
/* probe: memfd guest RAM, async uffd-wp + PAGEMAP_SCAN through the registered VA; alias mappings of arbitrary pfns */
static size_t NPG = 65536;
static char *mem; static int uffd, pmfd;
static struct page_region vec[4096];
static size_t scan(int wp, uint8_t *out) {
  uint64_t start=(uint64_t)mem,end=(uint64_t)mem+NPG*PG; size_t n=0;
  while (start<end){ struct pm_scan_arg a={.size=sizeof a,.flags=(wp?PM_SCAN_WP_MATCHING:0)|PM_SCAN_CHECK_WPASYNC,.start=start,.end=end,.vec=(uint64_t)vec,.vec_len=4096,.category_mask=PAGE_IS_WRITTEN,.return_mask=PAGE_IS_WRITTEN};
    int r=ioctl(pmfd,PAGEMAP_SCAN,&a); if(r<0) DIE("scan");
    for(int i=0;i<r;i++) for(uint64_t p=vec[i].start;p<vec[i].end;p+=PG){ if(out) out[(p-(uint64_t)mem)/PG]=1; n++;}
    start=a.walk_end;} return n; }
int main(){
  int fd=memfd_create("guest",MFD_CLOEXEC); if(ftruncate(fd,NPG*PG)) DIE("trunc");
  mem=mmap(NULL,NPG*PG,PROT_READ|PROT_WRITE,MAP_SHARED,fd,0); if(mem==MAP_FAILED) DIE("mmap");
  madvise(mem,NPG*PG,MADV_NOHUGEPAGE);
  for(size_t i=0;i<NPG;i++) ((uint64_t*)(mem+i*PG))[0]=i+1;
  pmfd=open("/proc/self/pagemap",O_RDONLY);
  uffd=uffd_open(O_CLOEXEC|O_NONBLOCK); uint64_t got;
  if(uffd_api(uffd,UFFD_FEATURE_WP_ASYNC|UFFD_FEATURE_WP_UNPOPULATED|UFFD_FEATURE_WP_HUGETLBFS_SHMEM,&got,NULL)) DIE("api");
  struct uffdio_register reg={.range={(uint64_t)mem,NPG*PG},.mode=UFFDIO_REGISTER_MODE_WP};
  if(ioctl(uffd,UFFDIO_REGISTER,&reg)) DIE("register");
  struct uffdio_writeprotect w={.range={(uint64_t)mem,NPG*PG},.mode=UFFDIO_WRITEPROTECT_MODE_WP};
  double t0=now_s(); if(ioctl(uffd,UFFDIO_WRITEPROTECT,&w)) DIE("wp"); printf("wp all %.2f ms\n",(now_s()-t0)*1e3);
  printf("after arm: %zu written\n",scan(0,NULL));
  uint8_t *sh=calloc(NPG,1),*got1=calloc(NPG,1); uint64_t s=99; int bad=0;
  for(int round=0;round<5;round++){ memset(sh,0,NPG);memset(got1,0,NPG);
    for(int i=0;i<5000;i++){size_t p=rnd(&s)%NPG; mem[p*PG+8]++; sh[p]=1;}
    t0=now_s(); size_t n=scan(1,got1); double el=now_s()-t0;
    int miss=0,extra=0; for(size_t i=0;i<NPG;i++){ if(sh[i]&&!got1[i])miss++; if(!sh[i]&&got1[i])extra++;}
    printf("round %d: scanned %zu in %.3f ms miss=%d extra=%d; peek after=%zu\n",round,n,el*1e3,miss,extra,scan(0,NULL)); bad|=miss|extra; }
  /* alias: map pfns 5, 9, 3 at a new VA */
  char *va=mmap(NULL,3*PG,PROT_NONE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0);
  size_t pf[3]={5,9,3};
  for(int i=0;i<3;i++) if(mmap(va+i*PG,PG,PROT_READ,MAP_SHARED|MAP_FIXED,fd,pf[i]*PG)==MAP_FAILED) DIE("alias");
  mem[9*PG+100]=42; printf("alias sees write: %d, pfn words %lu %lu %lu\n",va[PG+100],((uint64_t*)va)[0],((uint64_t*)(va+PG))[0],((uint64_t*)(va+2*PG))[0]);
  /* reading through alias must not mark written */
  volatile char c=va[0]; (void)c; printf("peek after alias read: %zu\n",scan(0,NULL));
  /* concurrent: writer thread + scanner copying to dest: dest==src */
  printf("%s\n",bad?"FAIL":"PASS");
  /* missing mode on memfd */
  int fd2=memfd_create("dst",MFD_CLOEXEC); ftruncate(fd2,NPG*PG);
  char *d=mmap(NULL,NPG*PG,PROT_READ|PROT_WRITE,MAP_SHARED,fd2,0);
  int u2=uffd_open(O_CLOEXEC|O_NONBLOCK); if(uffd_api(u2,0,NULL,NULL)) DIE("api2");
  struct uffdio_register r2={.range={(uint64_t)d,NPG*PG},.mode=UFFDIO_REGISTER_MODE_MISSING|UFFDIO_REGISTER_MODE_WP};
  if(ioctl(u2,UFFDIO_REGISTER,&r2)) { printf("missing+wp register errno %d\n",errno); r2.mode=UFFDIO_REGISTER_MODE_MISSING; if(ioctl(u2,UFFDIO_REGISTER,&r2)) DIE("reg missing");}
  t0=now_s(); for(size_t i=0;i<NPG;i+=64){ struct uffdio_copy c={.dst=(uint64_t)d+i*PG,.src=(uint64_t)mem+i*PG,.len=64*PG}; if(ioctl(u2,UFFDIO_COPY,&c)) DIE("copy");}
  printf("copy 64-batches into memfd: %.0f pages/s, equal=%d\n",NPG/(now_s()-t0),!memcmp(d,mem,NPG*PG));
  return 0; }
